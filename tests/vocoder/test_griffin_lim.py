"""Griffin-Lim fallback: pitch recovery, exact lengths, consistency with the shared mel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.audio.mel import MelSpectrogram
from glowtts_cli.config import AudioConfig
from glowtts_cli.vocoder.griffin_lim import GriffinLim


def _peak_hz(wav: torch.Tensor, sample_rate: int) -> float:
    audio = wav.numpy()
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.argmax(spectrum) * sample_rate / audio.size)


@pytest.mark.parametrize("freq", [220.0, 440.0, 1000.0])
def test_recovers_the_pitch_of_a_sine(freq: float) -> None:
    cfg = AudioConfig()
    t = torch.arange(cfg.sample_rate // 2) / cfg.sample_rate
    mel = MelSpectrogram(cfg)(0.5 * torch.sin(2 * torch.pi * freq * t))
    wav = GriffinLim(cfg, n_iter=16).vocode(mel)
    assert wav.shape == (1, mel.shape[-1] * cfg.hop_length)
    # Measured: within 6 Hz of the true pitch (the mel bands here are ~66 Hz wide or more).
    assert _peak_hz(wav[0], cfg.sample_rate) == pytest.approx(freq, rel=0.02)


@pytest.mark.parametrize("n_frames", [1, 2, 5, 40])
def test_length_is_frames_times_hop(n_frames: int) -> None:
    cfg = AudioConfig(
        n_mels=20, n_fft=256, hop_length=64, win_length=256, sample_rate=8000, fmax=None
    )
    mel = torch.randn(2, 20, n_frames)
    wav = GriffinLim(cfg, n_iter=2).vocode(mel)
    assert wav.shape == (2, n_frames * 64)
    assert torch.isfinite(wav).all() and wav.abs().max() <= 1


def test_resynthesis_has_a_similar_mel(reference_dir: Path) -> None:
    golden = load_file(reference_dir / "hifigan" / "hifigan_mel.safetensors")
    cfg = AudioConfig()
    transform = MelSpectrogram(cfg)
    mel = transform(golden["waveform"])
    again = transform(GriffinLim(cfg, n_iter=32).vocode(mel))
    loud = mel > -6  # compare where there is energy; the log floor amplifies noise elsewhere
    error = (again - mel)[loud].abs().mean()
    first = transform(GriffinLim(cfg, n_iter=1).vocode(mel))
    # Measured: mean |log-mel error| 0.61 after 1 iteration, 0.34 after 32.
    assert error < 0.45, error
    assert error < 0.7 * (first - mel)[loud].abs().mean()  # the iterations do converge


def test_deterministic() -> None:
    cfg = AudioConfig()
    mel = torch.randn(1, 80, 12) - 4
    vocoder = GriffinLim(cfg, n_iter=4)
    assert torch.equal(vocoder.vocode(mel), vocoder.vocode(mel))
    assert vocoder.context_frames is None
