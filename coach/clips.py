"""A session's voice clips: each line spoken once, on first need, and levelled when first
rendered; the lengths of all kept, the sound of only the clips used last.

Only the lengths of all lines are kept; of their sound, only the clips used last
(KEEP_BYTES spoken and KEEP_BYTES levelled), so a session of any length and any amount of
talk stays within the same memory as a short one. A clip let go comes back from the clip
cache (the Speaker's). Thread-safe: live play renders on a second thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

from coach import render
from coach.clock import RATE
from coach.render import Mix
from coach.speech import Speaker
from coach.spoken import speakable
from coach.tones import to_pcm16

#: Bytes of clips a session keeps in memory, spoken (float32) and levelled (int16) each:
#: the most recently used ones, so memory does not grow with the amount of speech. A clip
#: needed again after it was let go comes back from the clip cache.
KEEP_BYTES = 32_000_000


class Clips(Mapping[str, np.ndarray]):
    """The levelled clip (int16) of each line spoken so far, by its text; ``mix`` gives
    the mix lines are levelled for (the session's gain, decided before any sound)."""

    def __init__(self, speaker: Speaker, mix: Callable[[], Mix]) -> None:
        self.speaker, self._mix = speaker, mix
        self._frames: dict[str, int] = {}
        self._raw = _Kept(KEEP_BYTES)  # spoken, not yet levelled
        self._ready = _Kept(KEEP_BYTES)  # levelled, int16
        self._lock = threading.Lock()

    def lengths(self, texts: Iterable[str]) -> dict[str, int]:
        """Each text's clip length in samples, synthesizing the ones not yet spoken (one
        at a time: only the clips used last are kept, see KEEP_BYTES)."""
        texts = list(texts)
        for text in dict.fromkeys(texts):
            if text not in self._frames:
                clip = self._spoken(text)
                with self._lock:
                    self._raw.put(text, clip)
                    self._frames[text] = len(clip)
        return {t: self._frames[t] for t in texts}

    def spoken(self) -> dict[str, int]:
        """The length in samples of every line spoken so far."""
        with self._lock:
            return dict(self._frames)

    @property
    def kept_bytes(self) -> int:
        """The bytes of sound kept in memory, spoken and levelled."""
        return self._raw.size + self._ready.size

    def _spoken(self, text: str) -> np.ndarray:
        """``text``'s clip as the voice speaks it (emoji and symbols stay in the text for
        cue sheets, but are not spoken)."""
        spoken = speakable(text)
        return self.speaker.synthesize([spoken])[spoken]

    def __getitem__(self, text: str) -> np.ndarray:
        """The levelled clip for ``text`` (int16), from its synthesized one. Levelled clips
        are kept in the clip cache too (beside the spoken ones, keyed by how they were
        levelled), so a warm run levels nothing."""
        mix = self._mix()  # outside the lock: the plan is laid out once, first
        with self._lock:
            ready = self._ready.get(text)
            if ready is None:

                def level() -> np.ndarray:
                    raw = self._raw.pop(text)
                    return render.prepare_speech(
                        self._spoken(text) if raw is None else raw, RATE, mix
                    )

                ready = to_pcm16(
                    self.speaker.derived(speakable(text), render.speech_level_tag(mix), level)
                )
                self._raw.pop(text)
                self._ready.put(text, ready)
            return ready

    def __iter__(self) -> Iterator[str]:
        return iter(self.spoken())

    def __len__(self) -> int:
        return len(self._frames)


class _Kept:
    """The clips used last, up to ``limit`` bytes (a larger clip is kept alone until the
    next one comes). Not thread-safe: the Clips' lock guards it."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self._clips: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        clip = self._clips.get(text)
        if clip is not None:
            self._clips.move_to_end(text)
        return clip

    def pop(self, text: str) -> np.ndarray | None:
        clip = self._clips.pop(text, None)
        if clip is not None:
            self.size -= clip.nbytes
        return clip

    def put(self, text: str, clip: np.ndarray) -> None:
        self.pop(text)
        self._clips[text] = clip
        self.size += clip.nbytes
        while self.size > self.limit and len(self._clips) > 1:
            self.size -= self._clips.popitem(last=False)[1].nbytes
