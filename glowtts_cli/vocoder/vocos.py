"""Vocos-style frame-rate vocoder (Siuzdak 2023, "Vocos: Closing the gap between time-domain and
Fourier-based neural vocoders for audio synthesis", section 3): ConvNeXt blocks (Liu et al. 2022)
run at the mel frame rate, a linear head predicts each frame's STFT log-magnitude and phase, and an
inverse STFT (overlap-add of Hann-windowed inverse FFTs) turns the frames into samples.

All the learned work happens once per frame instead of once per sample, which is what makes it an
order of magnitude cheaper than HiFi-GAN on a CPU. The inverse STFT uses the voice's own STFT
geometry (``n_fft``, ``hop_length``, ``win_length``) and frame placement: frame t is centred on
samples ``[t * hop, (t + 1) * hop)``, as in :class:`~glowtts_cli.audio.mel.MelSpectrogram`, so the
output has exactly ``T_y * hop`` samples and can be chunked exactly.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from glowtts_cli.config import VocosConfig

MAX_LOG_MAGNITUDE = math.log(1e3)
"""Cap on predicted log-magnitudes (a full-scale sine peaks at ~256 with n_fft 1024); keeps a badly
initialised or diverging head from producing inf."""

EMBED_KERNEL = 7
"""Kernel of the input convolution (mel bands -> channels)."""


class Spectrum(NamedTuple):
    """The head's prediction, before the inverse STFT."""

    log_magnitude: torch.Tensor
    """``[B, n_fft // 2 + 1, T_y]`` natural-log STFT magnitude (capped)."""
    phase: torch.Tensor
    """``[B, n_fft // 2 + 1, T_y]`` phase in radians (unwrapped: any real value)."""


class ConvNeXtBlock(nn.Module):
    """Depthwise conv -> LayerNorm -> pointwise MLP (GELU) -> layer scale, plus the input."""

    def __init__(
        self, dim: int, *, intermediate_dim: int, kernel_size: int, layer_scale_init: float
    ) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), float(layer_scale_init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, T_y] -> [B, C, T_y]``."""
        h = self.dwconv(x).transpose(1, 2)  # [B, T_y, C]
        h = self.pwconv2(F.gelu(self.pwconv1(self.norm(h))))  # [B, T_y, C]
        out: torch.Tensor = x + (self.gamma * h).transpose(1, 2)  # [B, C, T_y]
        return out


class InverseSTFT(nn.Module):
    """Complex frames -> samples by windowed inverse FFT, overlap-add and window-energy division.

    The exact inverse of ``MelSpectrogram.magnitude``'s framing (reflect-padded by
    ``(n_fft - hop) / 2``, ``center=False``): for a consistent spectrogram it returns the signal.
    ``torch.istft`` cannot be used as is: with ``center=False`` it refuses windows whose energy
    vanishes at the outer edges, and with ``center=True`` it places frames half a hop off ours.
    """

    window: torch.Tensor

    def __init__(self, *, n_fft: int, hop_length: int, win_length: int) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.pad = (n_fft - hop_length) // 2
        left = (n_fft - win_length) // 2  # torch.stft centres a shorter window the same way
        window = F.pad(torch.hann_window(win_length), (left, n_fft - win_length - left))
        self.register_buffer("window", window, persistent=False)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        """Args: ``spec`` ``[B, n_fft // 2 + 1, T_y]`` complex. Returns ``[B, T_y * hop]``."""
        n_frames = spec.shape[-1]
        window = self.window.to(spec.real.dtype)
        frames = torch.fft.irfft(spec, n=self.n_fft, dim=1) * window[:, None]  # [B, n_fft, T_y]
        length = (n_frames - 1) * self.hop_length + self.n_fft
        fold = {"output_size": (1, length), "kernel_size": (1, self.n_fft),
                "stride": (1, self.hop_length)}  # fmt: skip
        wav = F.fold(frames, **fold)[:, 0, 0]  # [B, length]
        energy = F.fold(window.square()[None, :, None].expand(1, -1, n_frames), **fold)[0, 0, 0]
        keep = slice(self.pad, self.pad + n_frames * self.hop_length)
        # VocosConfig checks that no kept sample has zero window energy; the floor only guards
        # against float underflow.
        return wav[:, keep] / energy[keep].clamp(min=1e-8)  # [B, T_y * hop]

    @property
    def reach_frames(self) -> int:
        """Frames on each side of a frame whose windows overlap its samples."""
        nonzero = torch.nonzero(self.window).flatten()  # the periodic Hann is 0 at its start
        first, last = int(nonzero[0]), int(nonzero[-1])
        # Output frame t covers padded samples j in [t*hop + pad, t*hop + pad + hop); frame u adds
        # to j when first <= j - u*hop <= last.
        after = (self.pad + self.hop_length - 1 - first) // self.hop_length
        before = (last - self.pad) // self.hop_length
        return max(before, after)


class VocosGenerator(nn.Module):
    """Log-mel -> waveform at the frame rate; an inference-ready :class:`Vocoder`.

    It is the whole model (there is nothing to fold or strip after training), but not the training
    loop: losses live in :mod:`glowtts_cli.train.vocoder_losses`. Build it from a
    :class:`VocosConfig` (random weights) and fill it with the loaders in
    :mod:`glowtts_cli.vocoder.weights`.
    """

    def __init__(self, cfg: VocosConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Conv1d(cfg.n_mels, cfg.dim, EMBED_KERNEL, padding=EMBED_KERNEL // 2)
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(
                cfg.dim,
                intermediate_dim=cfg.intermediate_dim,
                kernel_size=cfg.kernel_size,
                layer_scale_init=cfg.layer_scale_init,
            )
            for _ in range(cfg.n_layers)
        )
        self.final_norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.head = nn.Linear(cfg.dim, cfg.n_fft + 2)  # log-magnitude and phase per bin
        self.istft = InverseSTFT(
            n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length
        )
        self.apply(_init_weights)

    @property
    def hop_length(self) -> int:
        """Samples produced per mel frame."""
        return self.cfg.hop_length

    @property
    def n_mels(self) -> int:
        """Mel bands expected on input."""
        return self.cfg.n_mels

    @property
    def context_frames(self) -> int:
        """Mel frames of context on each side that make chunked output equal one-shot output."""
        return receptive_field_frames(self.cfg)

    def spectrum(self, mel: torch.Tensor) -> Spectrum:
        """The predicted STFT: ``[B, M, T_y]`` log-mel -> log-magnitude and phase per frame."""
        x = self.embed(mel)  # [B, C, T_y]
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)  # [B, C, T_y]
        for block in self.blocks:
            x = block(x)
        x = self.head(self.final_norm(x.transpose(1, 2))).transpose(1, 2)  # [B, n_fft + 2, T_y]
        log_magnitude, phase = x.chunk(2, dim=1)  # 2 x [B, n_fft // 2 + 1, T_y]
        return Spectrum(log_magnitude.clamp(max=MAX_LOG_MAGNITUDE), phase)

    def synthesize(self, spectrum: Spectrum) -> torch.Tensor:
        """``Spectrum`` -> ``[B, T_y * hop]`` waveform (inverse STFT)."""
        magnitude = torch.exp(spectrum.log_magnitude)
        spec = torch.polar(magnitude, spectrum.phase)  # [B, n_fft // 2 + 1, T_y] complex
        wav: torch.Tensor = self.istft(spec)
        return wav

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Generate a waveform.

        Args:
            mel: ``[B, M, T_y]`` natural-log mel spectrogram.

        Returns:
            ``[B, S]`` waveform, S = T_y * hop_length (not clipped; see :meth:`vocode`).
        """
        return self.synthesize(self.spectrum(mel))

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, M, T_y]`` log-mel -> ``[B, S]`` waveform in [-1, 1], without autograd."""
        with torch.inference_mode():
            wav: torch.Tensor = self(mel).clamp(-1.0, 1.0)
        return wav


def _init_weights(module: nn.Module) -> None:
    # As Vocos (and ConvNeXt): truncated-normal weights with std 0.02, zero biases.
    if isinstance(module, (nn.Conv1d, nn.Linear)):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def receptive_field_frames(cfg: VocosConfig) -> int:
    """Mel frames on each side of a frame that can influence its output samples (exact).

    The input convolution reaches ``EMBED_KERNEL // 2`` frames, each block ``kernel_size // 2``
    (LayerNorm and the MLPs act per frame); the overlap-add then mixes the frames whose windows
    cover the frame's samples.
    """
    istft = InverseSTFT(n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length)
    return EMBED_KERNEL // 2 + cfg.n_layers * (cfg.kernel_size // 2) + istft.reach_frames
