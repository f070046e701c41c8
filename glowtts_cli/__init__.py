"""glowtts-cli: local text-to-speech with Glow-TTS (Kim et al., NeurIPS 2020).

The public API is imported lazily (PEP 562) so that ``glowtts --help`` never imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from glowtts_cli._version import __version__
from glowtts_cli.errors import GlowTTSError

__all__ = ["Audio", "GlowTTSError", "SynthesisOptions", "Voice", "__version__", "speak"]

_LAZY = {
    "speak": "glowtts_cli.api",
    "Voice": "glowtts_cli.api",
    "Audio": "glowtts_cli.api",
    "SynthesisOptions": "glowtts_cli.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glowtts_cli' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
