"""Griffin-Lim fallback vocoder that needs no weights (Griffin & Lim 1984), with the momentum of the
"fast Griffin-Lim" of Perraudin et al. 2013.

Log-mel -> mel energies -> linear magnitudes through the pseudo-inverse of the *same* filterbank
that :class:`glowtts_cli.audio.mel.MelSpectrogram` uses -> phase by alternating projections.
"""

from __future__ import annotations

import torch
from torch import nn

from glowtts_cli.audio.mel import MelSpectrogram, log_decompress
from glowtts_cli.config import AudioConfig


class GriffinLim(nn.Module):
    """Phase reconstruction from a log-mel; a :class:`Vocoder` for when no neural vocoder exists.

    Quality is intelligible but buzzy. It is deterministic (phases start at zero) and not local in
    time, so it is never chunked: :attr:`context_frames` is None.
    """

    stft_window: torch.Tensor
    mel_inverse: torch.Tensor

    def __init__(self, cfg: AudioConfig, *, n_iter: int = 32, momentum: float = 0.99) -> None:
        super().__init__()
        if n_iter < 1 or not 0.0 <= momentum < 1.0:
            raise ValueError("n_iter must be >= 1 and momentum in [0, 1)")
        self.n_fft = cfg.n_fft
        self._hop_length = cfg.hop_length
        self.win_length = cfg.win_length
        self._n_mels = cfg.n_mels
        self.n_iter = n_iter
        self.momentum = momentum
        mel = MelSpectrogram(cfg)
        # Least-squares inverse of the filterbank, [n_fft // 2 + 1, M]; negatives are clipped later.
        pinv = torch.linalg.pinv(mel.mel_basis.double()).float()
        self.register_buffer("mel_inverse", pinv, persistent=False)
        self.register_buffer("stft_window", mel.window.clone(), persistent=False)
        # The mel's frame t is centred on sample t * hop + offset (reflect padding of
        # (n_fft - hop) / 2, no centring); torch.stft(center=True) centres frame t on t * hop.
        self.offset = cfg.n_fft // 2 - (cfg.n_fft - cfg.hop_length) // 2

    @property
    def hop_length(self) -> int:
        """Samples produced per mel frame."""
        return self._hop_length

    @property
    def n_mels(self) -> int:
        """Mel bands expected on input."""
        return self._n_mels

    @property
    def context_frames(self) -> int | None:
        """None: Griffin-Lim is global, chunked output would not equal one-shot output."""
        return None

    def linear_magnitude(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, M, T_y]`` log-mel -> ``[B, n_fft // 2 + 1, T_y]`` non-negative linear magnitude."""
        energies = log_decompress(mel)  # [B, M, T_y]
        return torch.clamp(torch.matmul(self.mel_inverse.to(mel.dtype), energies), min=0.0)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Reconstruct a waveform.

        Args:
            mel: ``[B, M, T_y]`` natural-log mel spectrogram.

        Returns:
            ``[B, S]`` waveform, S = T_y * hop_length, clipped to [-1, 1].
        """
        n_frames = mel.shape[-1]
        magnitude = self.linear_magnitude(mel)  # [B, F, T_y]
        # Length that gives exactly T_y centred frames: 1 + n // hop == T_y.
        n_samples = n_frames * self.hop_length - max(self.offset, 1)
        window = self.stft_window.to(mel.dtype)
        angles = torch.ones_like(
            magnitude, dtype=torch.complex64 if mel.dtype != torch.float64 else torch.complex128
        )
        previous = torch.zeros_like(angles)
        for _ in range(self.n_iter):
            wav = self._istft(magnitude * angles, window, n_samples)  # [B, n]
            rebuilt = self._stft(wav, window)  # [B, F, T_y]
            # Fast Griffin-Lim: extrapolate along the last step before projecting to unit modulus.
            angles = rebuilt + self.momentum * (rebuilt - previous)
            angles = angles / (angles.abs() + 1e-16)
            previous = rebuilt
        wav = self._istft(magnitude * angles, window, n_samples)  # [B, n]
        total = n_frames * self.hop_length
        wav = nn.functional.pad(wav, (self.offset, total - self.offset - n_samples))  # [B, S]
        return torch.clamp(wav, -1.0, 1.0)

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, M, T_y]`` log-mel -> ``[B, S]`` waveform, without autograd bookkeeping."""
        with torch.inference_mode():
            wav: torch.Tensor = self(mel)
        return wav

    def _stft(self, wav: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
        return torch.stft(
            wav,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )

    def _istft(self, spec: torch.Tensor, window: torch.Tensor, length: int) -> torch.Tensor:
        return torch.istft(
            spec,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=window,
            center=True,
            length=length,
        )
