"""The one log-mel spectrogram used by data preparation, training and Griffin-Lim.

Numerically the same as HiFi-GAN's ``meldataset.mel_spectrogram`` (Kong et al. 2020) with
``center=False``: reflect padding of (n_fft - hop) / 2 samples, a periodic Hann window, magnitude
sqrt(re² + im² + 1e-9), a Slaney mel filterbank with Slaney area normalisation, and the natural log
of ``clamp(mel, 1e-5)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from glowtts_cli.config import AudioConfig
from glowtts_cli.errors import AudioFormatError

LOG_CLAMP = 1e-5
"""Floor applied before the log: log(1e-5) = -11.51 is the value of silence."""

MAGNITUDE_EPS = 1e-9
"""Added under the square root of the magnitude, as HiFi-GAN does (keeps its gradient finite)."""

# Slaney's Auditory Toolbox mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above,
# with 27 mel steps per factor 6.4 in frequency.
_F_SP = 200.0 / 3.0
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """Slaney mel value of each frequency in Hz (float64)."""
    freq = np.asarray(freq, dtype=np.float64)
    linear = freq / _F_SP
    log_part = _MIN_LOG_MEL + np.log(np.maximum(freq, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(freq >= _MIN_LOG_HZ, log_part, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel` (float64)."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _F_SP
    log_part = _MIN_LOG_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log_part, linear)


def mel_filterbank(
    *, sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Triangular Slaney-scale filters with Slaney area normalisation, ``[n_mels, n_fft // 2 + 1]``.

    Same semantics as ``librosa.filters.mel(htk=False, norm="slaney")``: n_mels + 2 edges spaced
    evenly on the mel scale, each filter rising from edge i to i+1 and falling to i+2, scaled by
    2 / (f[i+2] - f[i]) so that every filter has the same area. Returned as float32.
    """
    top = sample_rate / 2.0 if fmax is None else float(fmax)
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)  # [n_fft // 2 + 1]
    mels = np.linspace(hz_to_mel(np.array(fmin)), hz_to_mel(np.array(top)), n_mels + 2)
    edges = mel_to_hz(mels)  # [n_mels + 2]
    widths = np.diff(edges)  # [n_mels + 1]
    distance = edges[:, None] - fft_freqs[None, :]  # [n_mels + 2, n_fft // 2 + 1]
    rising = -distance[:-2] / widths[:-1, None]
    falling = distance[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))  # [n_mels, n_fft // 2 + 1]
    area_norm = 2.0 / (edges[2:] - edges[:-2])
    # Rounding the triangles to float32 before scaling (as librosa stores them) makes the result
    # bit-identical to librosa's filterbank instead of 1 ulp away.
    basis: np.ndarray = (weights.astype(np.float32) * area_norm[:, None]).astype(np.float32)
    return basis


def frame_count(n_samples: int, *, n_fft: int, hop_length: int) -> int:
    """Mel frames produced for ``n_samples`` samples: (S + 2 * pad - n_fft) // hop + 1."""
    pad = (n_fft - hop_length) // 2
    return (n_samples + 2 * pad - n_fft) // hop_length + 1


def log_compress(x: torch.Tensor) -> torch.Tensor:
    """Natural log of ``clamp(x, 1e-5)``: linear mel energy -> log-mel."""
    return torch.log(torch.clamp(x, min=LOG_CLAMP))


def log_decompress(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`log_compress` (exact above the clamp floor)."""
    return torch.exp(x)


class MelSpectrogram(nn.Module):
    """Waveform -> log-mel, exactly as HiFi-GAN computes its training features.

    Holds the filterbank and window as non-persistent buffers, so ``.to(device)`` moves them and
    they never appear in a checkpoint. It is not a learnable layer and has no inverse; Griffin-Lim
    uses :attr:`mel_basis` to go back to linear magnitudes.
    """

    mel_basis: torch.Tensor
    window: torch.Tensor

    def __init__(self, cfg: AudioConfig) -> None:
        super().__init__()
        self.n_fft = cfg.n_fft
        self.hop_length = cfg.hop_length
        self.win_length = cfg.win_length
        self.pad = (cfg.n_fft - cfg.hop_length) // 2
        basis = mel_filterbank(
            sample_rate=cfg.sample_rate,
            n_fft=cfg.n_fft,
            n_mels=cfg.n_mels,
            fmin=cfg.fmin,
            fmax=cfg.fmax,
        )
        self.register_buffer("mel_basis", torch.from_numpy(basis), persistent=False)
        self.register_buffer("window", torch.hann_window(cfg.win_length), persistent=False)

    def frame_count(self, n_samples: int) -> int:
        """Frames this transform returns for ``n_samples`` samples."""
        return frame_count(n_samples, n_fft=self.n_fft, hop_length=self.hop_length)

    def magnitude(self, wav: torch.Tensor) -> torch.Tensor:
        """Linear STFT magnitude.

        Args:
            wav: ``[B, S]`` or ``[S]`` float waveform in [-1, 1].

        Returns:
            ``[B, n_fft // 2 + 1, T_y]`` magnitudes (a batch dimension is added for ``[S]``).
        """
        spec = torch.view_as_real(self.stft(wav))  # [B, n_fft // 2 + 1, T_y, 2]
        return torch.sqrt(spec.pow(2).sum(-1) + MAGNITUDE_EPS)

    def stft(self, wav: torch.Tensor) -> torch.Tensor:
        """The complex STFT behind :meth:`magnitude`: frame t is centred on samples
        ``[t * hop, (t + 1) * hop)`` (reflect padding, ``center=False``).

        Args:
            wav: ``[B, S]`` or ``[S]`` float waveform in [-1, 1].

        Returns:
            ``[B, n_fft // 2 + 1, T_y]`` complex.
        """
        if wav.dim() == 1:
            wav = wav.unsqueeze(0)  # [1, S]
        if wav.dim() != 2:
            raise AudioFormatError(
                f"Expected a waveform [B, S] or [S], got shape {tuple(wav.shape)}."
            )
        n_samples = wav.shape[-1]
        if n_samples <= self.pad or self.frame_count(n_samples) < 1:
            raise AudioFormatError(
                f"Audio of {n_samples} samples is too short for a mel spectrogram.",
                hint=f"Use at least {max(self.pad + 1, self.hop_length)} samples.",
            )
        padded = nn.functional.pad(wav.unsqueeze(1), (self.pad, self.pad), mode="reflect")
        return torch.stft(
            padded.squeeze(1),  # [B, S + 2 * pad]
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window.to(wav.dtype),
            center=False,
            onesided=True,
            return_complex=True,
        )  # [B, n_fft // 2 + 1, T_y]

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """Log-mel spectrogram.

        Args:
            wav: ``[B, S]`` or ``[S]`` float waveform in [-1, 1].

        Returns:
            ``[B, M, T_y]`` natural-log mel energies, T_y = :meth:`frame_count` (S).
        """
        mag = self.magnitude(wav)  # [B, n_fft // 2 + 1, T_y]
        mel = torch.matmul(self.mel_basis.to(mag.dtype), mag)  # [B, M, T_y]
        return log_compress(mel)
