"""coach: a voice-guided audio coach.

The package is a pipeline of small stages, each a plain function over frozen values:
routine (load) -> script (cues) -> speech + tones (clips) -> timeline (samples)
-> render (PCM) -> player | export. Only ``coach.cli`` talks to the user.
"""

__version__ = "0.1.0"
