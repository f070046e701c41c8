"""Audio in and out of the package: files (``io``), the one shared log-mel (``mel``), playback.

Submodules are imported explicitly (``from glowtts_cli.audio import io``); this package imports
nothing itself, so reading audio never pulls in torch.
"""
