"""onnxruntime, the runtime under both neural voices: how coach loads it.

onnxruntime 1.23 and later start a telemetry provider as soon as the library is imported:
it writes a device id and an event database under
``$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime/`` (``~/.cache`` without it),
outside coach's folders. The provider reads one switch, the environment variable
``ORT_DISABLE_TELEMETRY``, once, when the library loads: set to ``1`` then, nothing is
initialized, written or sent (checked on 1.32.0 under an empty HOME with strace: no file
created, no socket opened). ``disable_telemetry_events()`` after the import is too late:
the files are already written. So every engine calls ``prepare()`` before its first
import of onnxruntime (or of a package that imports it).

Only the environment of this process (and of the programs it starts, which ignore the
variable) is changed, and only when a neural voice is about to load: importing coach
changes nothing.
"""

from __future__ import annotations

import os

#: The variable onnxruntime's telemetry provider reads when the library loads.
SWITCH = "ORT_DISABLE_TELEMETRY"


def prepare() -> None:
    """Switch onnxruntime's telemetry off for this process, before onnxruntime is imported
    (a user's ``ORT_DISABLE_TELEMETRY=0`` is overridden: coach writes nothing outside its
    folders). Idempotent; a no-op for onnxruntime already loaded, which only a caller
    outside coach can have done."""
    os.environ[SWITCH] = "1"
