"""coach: a voice-guided audio coach.

Data flows one way through small stages, passing frozen values (dataclasses, enums):
routine file -> script (cues) -> speech + tones (clips) -> timeline (samples) -> render
(PCM) -> player | export. Some stages keep state where it pays (a Session's clips, a
Speaker's engine, a Renderer's window); README's *Design* section maps every module.
Only the front doors (``coach.cli``) talk to the user.
"""

__version__ = "0.1.0"
