"""The exception tree. Every failure coach expects ends as one of these.

The CLI turns each class into one line and an exit status; nothing else in the
package knows about exit statuses.
"""

from __future__ import annotations


class CoachError(Exception):
    """Root of coach's errors; its message is one line meant for the user."""


class InputError(CoachError):
    """Bad input: a routine file, an option, a voice or an output path (exit status 2)."""


class OptionError(InputError):
    """A bad value of one option: ``option`` as typed (``--voice``), the ``value`` and the
    ``reason``; reads ``--voice zzzz: no such voice here``. The CLI names the settings file,
    line and key instead when the value came from there."""

    def __init__(self, option: str, value: object, reason: str) -> None:
        self.option, self.value, self.reason = option, value, reason
        super().__init__(f"{option} {value}: {reason}")


class MissingPartError(CoachError):
    """The machine lacks something: an audio device, eSpeak NG, ffmpeg (exit status 3)."""


class OutputError(MissingPartError):
    """An output could not be written for a reason of the machine's, not the input's: a
    full disk, ffmpeg failing part-way, standard output closed by its reader. A missing
    part's exit status (3): nothing the user typed was wrong, and trying again elsewhere
    or later may work."""
