"""The podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces, made by feedgen.

One episode per routine at the user's saved settings, in the language its file is written
in, or in the one the feed is asked for (``/feed.xml?language=ja``: the routines written in
it). The channel's ``language`` is that language (else the one most episodes are in) and
its description is in it; each item names its own in ``dc:language``. An episode's
enclosure is the session's MP3
(exact length in bytes, ``audio/mpeg``), its ``itunes:duration`` the session's length, its
``guid`` the audio's SHA-256 (stable, and new exactly when the audio changes) and its
``podcast:chapters`` the session's chapters. Every URL is absolute on ``base``, the
address the feed was asked for through (never ``localhost`` for a phone on the network).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from coach import __version__, languages
from coach.phrases import Phrases
from coach.sessions import Kept

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHAPTERS_TYPE = "application/json+chapters"


@dataclass(frozen=True)
class Episode:
    """One routine's session at the saved settings, as kept; ``language``: the language
    it speaks (BCP 47); ``asked``: whether the feed's address chose it (then the episode's
    addresses carry it too)."""

    name: str
    title: str
    summary: str
    kept: Kept
    language: str = languages.DEFAULT
    asked: bool = False


class _Podcasting(BaseExtension):
    """The Podcasting 2.0 namespace on the channel."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}


class _PodcastingEntry(BaseEntryExtension):
    """``podcast:chapters`` on an item."""

    def __init__(self) -> None:
        self._chapters: str | None = None

    def chapters(self, url: str | None = None) -> str | None:
        if url is not None:
            self._chapters = url
        return self._chapters

    def extend_rss(self, item: Any) -> Any:
        if self._chapters:
            tag = etree.SubElement(item, f"{{{PODCAST_NS}}}chapters")
            tag.attrib["url"] = self._chapters
            tag.attrib["type"] = CHAPTERS_TYPE
        return item


def duration(seconds: float) -> str:
    """``itunes:duration`` as H:MM:SS, to the nearest second."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def channel_language(episodes: list[Episode], asked: str | None = None) -> str:
    """The channel's language: the one asked for, else the one most episodes speak (the
    languages table's order breaks a tie; English for no episode)."""
    if asked is not None:
        return asked
    spoken = [ep.language for ep in episodes] or [languages.DEFAULT]
    return max(
        languages.names(), key=lambda code: (spoken.count(code), -languages.names().index(code))
    )


def render(episodes: list[Episode], base: str, token: str, language: str | None = None) -> bytes:
    """The feed as UTF-8 XML; ``base`` is ``scheme://host[:port]`` as the feed was asked for;
    ``language``: the language the feed was asked for (None: each routine's own)."""
    channel = channel_language(episodes, language)
    t = Phrases(channel)
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.load_extension("dc")
    fg.register_extension("podcasting", _Podcasting, _PodcastingEntry)
    fg.title("coach")
    fg.link(href=f"{base}/?{urlencode({'token': token})}", rel="alternate")
    fg.description(t("feed_description"))
    fg.language(channel)
    fg.generator("coach", __version__)
    fg.podcast.itunes_author("coach")
    fg.podcast.itunes_category("Health & Fitness")
    fg.podcast.itunes_explicit("no")
    fg.podcast.itunes_summary(t("feed_summary"))
    for ep in episodes:
        chosen = {"routine": ep.name} | ({"language": ep.language} if ep.asked else {})
        query = urlencode(chosen | {"token": token})
        fe = fg.add_entry(order="append")
        fe.title(ep.title)
        fe.description(ep.summary or ep.title)
        fe.guid(f"coach-{ep.name}-{ep.kept.sha256}", permalink=False)
        fe.enclosure(f"{base}/api/session.mp3?{query}", str(ep.kept.size), "audio/mpeg")
        fe.link(href=f"{base}/?{query}")
        fe.pubDate(datetime.datetime.fromtimestamp(ep.kept.made, datetime.UTC))
        fe.podcast.itunes_duration(duration(ep.kept.seconds))
        fe.podcasting.chapters(f"{base}/api/chapters.json?{query}")
        fe.dc.dc_language(ep.language)
    data: bytes = fg.rss_str(pretty=True)
    return data
