"""Which vocoder a voice speaks through, decided once: the voice's own vocoder section or a
``vocoder`` argument (``--vocoder``), loaded from the voice folder, the bundled weights, a local
path or a Hub repo (downloaded first, into the Hub cache).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from glowtts_cli.config import VocoderConfig, VoiceConfig
from glowtts_cli.errors import ConfigError
from glowtts_cli.hub_download import download_vocoder_repo
from glowtts_cli.vocoder import Vocoder, load_vocoder
from glowtts_cli.vocoder.bundled import BUNDLED
from glowtts_cli.voices import suggest

__all__ = ["load_voice_vocoder", "vocoder_override"]


def vocoder_override(cfg: VocoderConfig, spec: str | None) -> VocoderConfig:
    """The vocoder section a ``vocoder`` argument asks for instead of ``cfg`` (the voice's):
    ``griffin-lim``, a bundled name, a folder, or a Hub repo ``org/name[@rev]``; None keeps
    ``cfg``.

    Raises:
        ConfigError: ``spec`` is none of these (with the closest name).
    """
    if spec is None:
        return cfg
    if spec == "griffin-lim":
        return dataclasses.replace(cfg, kind="griffin-lim")
    if spec in BUNDLED or Path(spec).expanduser().is_dir() or "/" in spec:
        return VocoderConfig(kind="hifigan", source=spec)
    close = suggest(spec, ["griffin-lim", *BUNDLED])
    raise ConfigError(
        f"Unknown vocoder '{spec}'." + (f" Did you mean '{close[0]}'?" if close else ""),
        hint=f"Use griffin-lim, {', '.join(BUNDLED)}, a folder, or a Hub repo org/name.",
    )


def load_voice_vocoder(voice: VoiceConfig, folder: Path | None, spec: str | None = None) -> Vocoder:
    """The vocoder of the voice ``voice`` (read from ``folder``), or the one ``spec`` asks for
    (:func:`vocoder_override`), in eval mode on the CPU.

    Raises:
        ConfigError: an unknown ``spec``, or a vocoder that does not fit the voice's audio.
        CheckpointError: weights missing, corrupt or not fitting their config.
        VoiceNotFoundError, OfflineError: a Hub repo that cannot be had.
    """
    cfg = vocoder_override(voice.vocoder, spec)
    return load_vocoder(cfg, voice.audio, _weights_folder(cfg, folder))


def _weights_folder(cfg: VocoderConfig, folder: Path | None) -> Path | None:
    """The folder ``load_vocoder`` reads: the voice folder for ``voice``, the download of a Hub
    repo; None where it finds the weights itself (bundled, a local path) or needs none."""
    if cfg.kind == "griffin-lim" or cfg.source in BUNDLED:
        return None
    if cfg.source == "voice":
        return folder
    if "/" in cfg.source and not Path(cfg.source).expanduser().exists():
        return download_vocoder_repo(cfg.source)
    return None
