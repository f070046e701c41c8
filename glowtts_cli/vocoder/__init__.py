"""Vocoders: log-mel ``[B, M, T_y]`` -> waveform ``[B, S]`` with S = T_y * hop_length.

HiFi-GAN (Kong et al. 2020) with the official V1 weights bundled offline, any official or own-format
checkpoint from a local path, the frame-rate Vocos (Siuzdak 2023, trained by ``glowtts vocoder
train``), and a weight-free Griffin-Lim fallback. Hub sources are resolved to a
local folder by ``glowtts_cli.hub_download`` first and then loaded here with ``path=``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch

from glowtts_cli.config import AudioConfig, HiFiGANConfig, VocoderConfig
from glowtts_cli.errors import CheckpointError, ConfigError
from glowtts_cli.vocoder.bundled import BUNDLED, load_bundled
from glowtts_cli.vocoder.griffin_lim import GriffinLim
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.streaming import stream_vocode
from glowtts_cli.vocoder.vocos import VocosGenerator
from glowtts_cli.vocoder.weights import (
    WEIGHTS_NAME,
    load_official_checkpoint,
    load_safetensors_generator,
    load_vocoder_from_dir,
    load_vocos,
    save_hifigan,
    save_vocos,
)

__all__ = [
    "GriffinLim",
    "HiFiGANGenerator",
    "Vocoder",
    "VocosGenerator",
    "load_bundled",
    "load_official_checkpoint",
    "load_vocoder",
    "load_vocoder_from_dir",
    "load_vocos",
    "save_hifigan",
    "save_vocos",
    "stream_vocode",
]


class Vocoder(Protocol):
    """What the rest of the package needs from a vocoder (HiFi-GAN, Vocos, Griffin-Lim)."""

    @property
    def hop_length(self) -> int:
        """Samples produced per mel frame."""
        ...

    @property
    def n_mels(self) -> int:
        """Mel bands expected on input."""
        ...

    @property
    def context_frames(self) -> int | None:
        """Frames of context each side for exact chunked vocoding; None if it cannot be chunked."""
        ...

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, M, T_y]`` natural-log mel -> ``[B, S]`` waveform, S = T_y * hop_length."""
        ...

    def to(self, device: torch.device | str) -> Vocoder:
        """Move to a device (both implementations are ``nn.Module``s)."""
        ...


def load_vocoder(cfg: VocoderConfig, audio: AudioConfig, path: str | Path | None = None) -> Vocoder:
    """Build the vocoder a voice asks for, in eval mode on the CPU.

    Args:
        cfg: the voice's vocoder section.
        audio: the voice's audio settings; the vocoder must use the same hop and mel bands.
        path: a local folder already resolved by the caller: the voice folder when
            ``cfg.source == "voice"`` (weights ``vocoder.safetensors``, config ``cfg.hifigan``,
            V1 if unset), or the downloaded folder of an ``org/repo`` source. Ignored for bundled
            sources, Griffin-Lim and sources that are local paths. A ``vocos`` voice source
            reads ``vocoder.safetensors`` with the hyperparameters in ``cfg.vocos``.

    Raises:
        ConfigError: unknown source, or a vocoder that does not fit ``audio``.
        CheckpointError: weights missing, corrupt or not fitting their config.
    """
    vocoder: Vocoder
    local = Path(cfg.source).expanduser()
    if cfg.kind == "griffin-lim":
        vocoder = GriffinLim(audio, n_iter=cfg.griffin_lim_iters).eval()
    elif cfg.source in BUNDLED:
        vocoder = load_bundled(cfg.source)
    elif cfg.source == "voice":
        if path is None:
            raise ConfigError("vocoder.source is 'voice' but no voice folder was given.")
        weights = Path(path) / WEIGHTS_NAME
        if not weights.is_file():
            raise CheckpointError(f"Voice folder {path} has no {WEIGHTS_NAME}.")
        if cfg.kind == "vocos" and cfg.vocos is not None:
            vocoder = load_vocos(weights, cfg.vocos)
        else:
            # Without hyperparameters the weights must be the official default (V1); the strict
            # load reports every mismatching key if they are not.
            vocoder = load_safetensors_generator(weights, cfg.hifigan or HiFiGANConfig.v1())
    elif local.exists():
        vocoder = load_vocoder_from_dir(local)
    elif path is not None:  # e.g. an org/repo source the caller has downloaded
        vocoder = load_vocoder_from_dir(path)
    else:
        raise ConfigError(
            f"Vocoder source '{cfg.source}' is neither bundled nor a local path.",
            hint=f"Use {', '.join(BUNDLED)}, 'voice', a local folder, or resolve Hub repos first.",
        )
    _check_fits(vocoder, audio, cfg.source)
    return vocoder


def _check_fits(vocoder: Vocoder, audio: AudioConfig, source: str) -> None:
    if vocoder.hop_length != audio.hop_length or vocoder.n_mels != audio.n_mels:
        raise ConfigError(
            f"Vocoder '{source}' expects hop {vocoder.hop_length} and {vocoder.n_mels} mel bands, "
            f"but the voice uses hop {audio.hop_length} and {audio.n_mels}.",
            hint="Pick a vocoder trained with the voice's audio settings, or griffin-lim.",
        )
