"""The shared log-mel: conformance with HiFi-GAN's official mel_spectrogram, and basic acoustics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.audio.mel import (
    MelSpectrogram,
    frame_count,
    hz_to_mel,
    mel_filterbank,
    mel_to_hz,
)
from glowtts_cli.config import AudioConfig
from glowtts_cli.errors import AudioFormatError
from tests.reference_sets import tiny_vocoder_folders


def _reference_audio_config(reference_dir: Path) -> AudioConfig:
    """The mel settings of the reference set: its official HiFi-GAN configs (the mel golden was
    computed with these same fields; the shapes are cross-checked in the tests)."""
    keys = ("sampling_rate", "n_fft", "hop_size", "win_size", "num_mels", "fmin", "fmax")
    configs = [
        json.loads((reference_dir / "hifigan" / name / "config.json").read_text())
        for name in tiny_vocoder_folders(reference_dir)
    ]
    assert configs, f"no official HiFi-GAN config under {reference_dir / 'hifigan'}"
    settings = {tuple(c[k] for k in keys) for c in configs}
    assert len(settings) == 1, f"the reference configs disagree on the mel settings: {settings}"
    data = configs[0]
    return AudioConfig(
        sample_rate=data["sampling_rate"],
        n_fft=data["n_fft"],
        hop_length=data["hop_size"],
        win_length=data["win_size"],
        n_mels=data["num_mels"],
        fmin=float(data["fmin"]),
        fmax=None if data["fmax"] is None else float(data["fmax"]),
    )


@pytest.fixture(scope="module")
def mel_reference(reference_dir: Path) -> tuple[dict[str, torch.Tensor], AudioConfig]:
    tensors = load_file(reference_dir / "hifigan" / "hifigan_mel.safetensors")
    cfg = _reference_audio_config(reference_dir)
    assert tuple(tensors["mel_basis"].shape) == (cfg.n_mels, cfg.n_fft // 2 + 1)
    assert tensors["hann_window"].shape[0] == cfg.win_length
    return tensors, cfg


def test_filterbank_equals_reference_mel_basis(mel_reference) -> None:
    tensors, cfg = mel_reference
    basis = mel_filterbank(
        sample_rate=cfg.sample_rate,
        n_fft=cfg.n_fft,
        n_mels=cfg.n_mels,
        fmin=cfg.fmin,
        fmax=cfg.fmax,
    )
    assert basis.dtype == np.float32
    # Measured: bit-identical (max abs diff 0.0) to librosa's Slaney filterbank.
    np.testing.assert_allclose(basis, tensors["mel_basis"].numpy(), rtol=0, atol=1e-7)


def test_window_equals_reference(mel_reference) -> None:
    tensors, cfg = mel_reference
    assert torch.equal(MelSpectrogram(cfg).window, tensors["hann_window"])


def test_magnitude_and_mel_equal_official(mel_reference) -> None:
    tensors, cfg = mel_reference
    transform = MelSpectrogram(cfg)
    wav = tensors["waveform"]
    magnitude = transform.magnitude(wav)
    mel = transform(wav)
    assert magnitude.shape == tensors["magnitude"].shape
    assert mel.shape == tensors["mel"].shape
    # Measured here: magnitude max abs diff 1.5e-5 (max value 70.8), mel 4.5e-5: FFT rounding only.
    torch.testing.assert_close(magnitude, tensors["magnitude"], rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(mel, tensors["mel"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("n_samples", [400, 1000, 1024, 1025, 22050, 22051])
@pytest.mark.parametrize(("n_fft", "hop"), [(1024, 256), (512, 128), (800, 200)])
def test_frame_count_formula(n_samples: int, n_fft: int, hop: int) -> None:
    cfg = AudioConfig(n_fft=n_fft, hop_length=hop, win_length=n_fft)
    transform = MelSpectrogram(cfg)
    expected = (n_samples + 2 * ((n_fft - hop) // 2) - n_fft) // hop + 1
    assert frame_count(n_samples, n_fft=n_fft, hop_length=hop) == expected
    assert transform(torch.zeros(n_samples)).shape == (1, cfg.n_mels, expected)


def test_frame_count_for_whole_hops() -> None:
    # With n_fft - hop even, T_y = S // hop: a vocoder's S = T_y * hop round-trips.
    assert frame_count(86 * 256, n_fft=1024, hop_length=256) == 86
    assert frame_count(22050, n_fft=1024, hop_length=256) == 86


@pytest.mark.parametrize("freq", [440.0, 3000.0])
def test_sine_peaks_in_its_band(freq: float) -> None:
    cfg = AudioConfig()
    t = torch.arange(cfg.sample_rate) / cfg.sample_rate
    mel = MelSpectrogram(cfg)(0.5 * torch.sin(2 * torch.pi * freq * t))  # [1, M, T_y]
    edges = mel_to_hz(
        np.linspace(hz_to_mel(np.array(cfg.fmin)), hz_to_mel(np.array(cfg.fmax)), cfg.n_mels + 2)
    )
    centres = edges[1:-1]
    peak = int(mel[0, :, 5:-5].mean(-1).argmax())
    assert edges[peak] < freq < edges[peak + 2]
    assert abs(peak - int(np.argmin(np.abs(centres - freq)))) <= 1


def test_silence_is_log_floor() -> None:
    mel = MelSpectrogram(AudioConfig())(torch.zeros(4096))
    torch.testing.assert_close(mel, torch.full_like(mel, float(np.log(1e-5))))


def test_batch_equals_single_items() -> None:
    transform = MelSpectrogram(AudioConfig(n_mels=16, n_fft=256, hop_length=64, win_length=256))
    wav = torch.randn(3, 2000) * 0.1
    batch = transform(wav)
    for i in range(3):
        torch.testing.assert_close(batch[i : i + 1], transform(wav[i]), rtol=1e-5, atol=1e-5)


def test_too_short_audio_is_a_clear_error() -> None:
    with pytest.raises(AudioFormatError, match="too short"):
        MelSpectrogram(AudioConfig())(torch.zeros(100))


def test_mel_scale_round_trip_and_knee() -> None:
    freqs = np.array([0.0, 200.0, 999.0, 1000.0, 4000.0, 11025.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(freqs)), freqs, rtol=1e-12, atol=1e-9)
    assert hz_to_mel(np.array(1000.0)) == pytest.approx(15.0)  # 3 mels per 200 Hz up to 1 kHz
    assert hz_to_mel(np.array(6400.0)) == pytest.approx(42.0)  # then 27 mels per factor 6.4


def test_fmax_none_reaches_nyquist() -> None:
    basis = mel_filterbank(sample_rate=16000, n_fft=512, n_mels=40, fmax=None)
    assert basis.shape == (40, 257)
    assert basis[-1, 250] > 0  # the top band covers frequencies near 8 kHz
    assert np.all(basis.sum(axis=1) > 0)  # no empty band
