"""Non-adversarial vocoder losses: log-mel L1, multi-resolution STFT, compressed complex spectrum.

* Log-mel L1 (HiFi-GAN's reconstruction term, Kong et al. 2020 eq. 5) with the package's one
  :class:`~glowtts_cli.audio.mel.MelSpectrogram`.
* Multi-resolution STFT loss (Yamamoto et al. 2020, "Parallel WaveGAN", eqs. 2-4): spectral
  convergence plus log-magnitude L1, averaged over three FFT sizes. Magnitudes at resolutions other
  than the model's own depend on how neighbouring frames' phases line up, so this term also
  teaches phase coherence.
* A phase-aware term on the model's own STFT: MSE between power-law compressed complex spectra
  (|S|^0.3 e^{i angle S}, as in speech enhancement), which weights phase errors by loudness and
  ignores the phase of silent bins.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from glowtts_cli.audio.mel import MelSpectrogram
from glowtts_cli.config import AudioConfig

STFT_RESOLUTIONS: tuple[tuple[int, int, int], ...] = ((512, 128, 512), (1024, 256, 1024),
                                                      (2048, 512, 2048))  # fmt: skip
"""(n_fft, hop, window) of the multi-resolution STFT loss."""

COMPRESSION = 0.3
"""Exponent of the magnitude compression in the complex-spectrum loss."""

EDGE_FRAMES = 2
"""Frames at each end of a segment left out of the complex loss: their target frames reach past
the segment into reflected samples, which the model (given the clip's real mel) cannot match."""


class VocoderLosses(NamedTuple):
    """One batch's loss terms (tensors, for backward)."""

    total: torch.Tensor
    mel: torch.Tensor
    """Mean absolute log-mel difference."""
    stft: torch.Tensor
    """Spectral convergence + log-magnitude L1, averaged over resolutions."""
    complex: torch.Tensor
    """MSE of compressed complex spectra on the model's STFT frames."""

    def values(self) -> dict[str, float]:
        """Plain floats for logs."""
        return {name: float(value.detach()) for name, value in self._asdict().items()}


def stft_magnitude(wav: torch.Tensor, n_fft: int, hop: int, win: int) -> torch.Tensor:
    """``[B, S]`` -> ``[B, n_fft // 2 + 1, frames]`` magnitude (centred frames, Hann window)."""
    window = torch.hann_window(win, device=wav.device, dtype=wav.dtype)
    spec = torch.stft(wav, n_fft, hop, win, window=window, return_complex=True)
    return spec.abs().clamp(min=1e-7)


def multi_resolution_stft_loss(wav_hat: torch.Tensor, wav: torch.Tensor) -> torch.Tensor:
    """Spectral convergence ||S - S^||_F / ||S||_F plus mean |log S - log S^|, averaged."""
    total = wav.new_zeros(())
    for n_fft, hop, win in STFT_RESOLUTIONS:
        mag_hat = stft_magnitude(wav_hat, n_fft, hop, win)
        mag = stft_magnitude(wav, n_fft, hop, win)
        convergence = torch.linalg.norm(mag - mag_hat) / torch.linalg.norm(mag).clamp(min=1e-7)
        total = total + convergence + (mag.log() - mag_hat.log()).abs().mean()
    return total / len(STFT_RESOLUTIONS)


def compressed_complex_loss(
    log_magnitude: torch.Tensor, phase: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """MSE of |S|^c e^{i phi}: the prediction (log-magnitude, phase) against a complex target.

    All three are ``[B, n_fft // 2 + 1, T_y]``; the edge frames are left out.
    """
    keep = slice(EDGE_FRAMES, -EDGE_FRAMES) if target.shape[-1] > 2 * EDGE_FRAMES else slice(None)
    predicted = torch.polar(torch.exp(COMPRESSION * log_magnitude[..., keep]), phase[..., keep])
    target = target[..., keep]
    compressed = torch.polar(target.abs().clamp(min=1e-7) ** COMPRESSION, target.angle())
    return torch.view_as_real(predicted - compressed).square().mean()


class VocoderCriterion(nn.Module):
    """Weighted sum of the three terms for a batch of generated and real segments."""

    def __init__(self, audio: AudioConfig, *, mel: float, stft: float, complex: float) -> None:
        super().__init__()
        self.mel_transform = MelSpectrogram(audio)
        self.weights = (mel, stft, complex)

    def forward(
        self,
        wav_hat: torch.Tensor,
        log_magnitude: torch.Tensor,
        phase: torch.Tensor,
        wav: torch.Tensor,
    ) -> VocoderLosses:
        """Args: ``wav_hat``, ``wav`` ``[B, S]``; ``log_magnitude``, ``phase`` the prediction
        ``[B, n_fft // 2 + 1, T_y]`` with S = T_y * hop."""
        l_mel = (self.mel_transform(wav_hat) - self.mel_transform(wav)).abs().mean()
        l_stft = multi_resolution_stft_loss(wav_hat, wav)
        l_complex = compressed_complex_loss(log_magnitude, phase, self.mel_transform.stft(wav))
        w_mel, w_stft, w_complex = self.weights
        total = w_mel * l_mel + w_stft * l_stft + w_complex * l_complex
        return VocoderLosses(total, l_mel, l_stft, l_complex)
