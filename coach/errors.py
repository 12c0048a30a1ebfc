"""The exception tree. Every failure coach expects ends as one of these.

The CLI turns each class into one line and an exit status; nothing else in the
package knows about exit statuses.
"""

from __future__ import annotations


class CoachError(Exception):
    """Root of coach's errors; its message is one line meant for the user."""


class InputError(CoachError):
    """Bad input: a routine file, an option, a voice or an output path (exit status 2)."""


class MissingPartError(CoachError):
    """The machine lacks something: an audio device, eSpeak NG, ffmpeg (exit status 3)."""
