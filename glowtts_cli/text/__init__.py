"""Text front end (no torch): ``frontend.TextFrontend`` turns text into a voice's ids.

Modules: ``sentences`` (splitting), ``normalize``/``english`` (speakable text), ``g2p`` (espeak-ng
via phonemizer), ``official`` (the official Glow-TTS english_cleaners + CMUdict), ``symbols``
(SymbolTable and default tables). Nothing is loaded at import time.
"""
