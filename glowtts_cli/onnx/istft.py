"""The Vocos vocoder with an inverse STFT that ONNX can hold: a fixed DFT basis and overlap-add.

ONNX has no complex tensors and the TorchScript exporter has no ``irfft``, so the inverse STFT of
:class:`~glowtts_cli.vocoder.vocos.InverseSTFT` is rewritten with real operations: one
``conv_transpose1d`` whose kernel is the windowed inverse real DFT does the inverse FFT, the
window and the overlap-add at once; a second one with the squared window gives the energy to
divide by. Same framing, same samples, within float rounding (a test checks it).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from glowtts_cli.vocoder.vocos import InverseSTFT, VocosGenerator

__all__ = ["DftInverseSTFT", "ExportableVocos"]


class DftInverseSTFT(nn.Module):
    """``InverseSTFT`` from magnitude and phase, with real operations only.

    ``irfft`` of ``n_fft`` points reads bin k with weight 1 (k = 0 and the Nyquist bin) or 2 (the
    others), takes the real part of DC and Nyquist only, and divides by ``n_fft``; the basis
    below holds exactly those weights, times the synthesis window.
    """

    basis: torch.Tensor
    window_sq: torch.Tensor

    def __init__(self, istft: InverseSTFT) -> None:
        super().__init__()
        n_fft, self.hop_length, self.pad = istft.n_fft, istft.hop_length, istft.pad
        n_bins = n_fft // 2 + 1
        window = istft.window.double()  # [n_fft]
        n = torch.arange(n_fft, dtype=torch.float64).unsqueeze(1)  # [n_fft, 1]
        k = torch.arange(n_bins, dtype=torch.float64).unsqueeze(0)  # [1, n_bins]
        weight = torch.full((n_bins,), 2.0, dtype=torch.float64)
        weight[0] = 1.0
        if n_fft % 2 == 0:
            weight[-1] = 1.0
        angle = 2 * math.pi * n * k / n_fft  # [n_fft, n_bins]
        cos = torch.cos(angle) * weight / n_fft * window.unsqueeze(1)  # [n_fft, n_bins]
        sin = -torch.sin(angle) * weight / n_fft * window.unsqueeze(1)  # [n_fft, n_bins]
        sin[:, 0] = 0.0  # irfft ignores the imaginary part of DC ...
        if n_fft % 2 == 0:
            sin[:, -1] = 0.0  # ... and of the Nyquist bin
        basis = torch.cat([cos.T, sin.T]).unsqueeze(1)  # [2 n_bins, 1, n_fft]
        self.register_buffer("basis", basis.float(), persistent=False)
        self.register_buffer(
            "window_sq", window.square().view(1, 1, n_fft).float(), persistent=False
        )

    def forward(self, log_magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """``log_magnitude``, ``phase`` [B, n_fft // 2 + 1, T_y] -> [B, T_y * hop] samples."""
        magnitude = torch.exp(log_magnitude)
        parts = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], 1)
        wav = F.conv_transpose1d(parts, self.basis, stride=self.hop_length)  # [B, 1, L]
        ones = torch.ones_like(log_magnitude[:, :1])  # [B, 1, T_y]
        energy = F.conv_transpose1d(ones, self.window_sq, stride=self.hop_length)  # [B, 1, L]
        end = self.pad + log_magnitude.shape[-1] * self.hop_length
        kept = wav[:, 0, self.pad : end] / energy[:, 0, self.pad : end].clamp(min=1e-8)
        return kept  # [B, T_y * hop]


class ExportableVocos(nn.Module):
    """A :class:`VocosGenerator` whose inverse STFT is :class:`DftInverseSTFT` (same weights)."""

    def __init__(self, generator: VocosGenerator) -> None:
        super().__init__()
        self.generator = generator
        self.istft = DftInverseSTFT(generator.istft)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, M, T_y]`` log-mel -> ``[B, T_y * hop]`` waveform (not clipped)."""
        spectrum = self.generator.spectrum(mel)
        wav: torch.Tensor = self.istft(spectrum.log_magnitude, spectrum.phase)
        return wav
