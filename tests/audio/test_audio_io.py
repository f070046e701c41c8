"""Audio files: mono float32 loading, soxr resampling, atomic saving, clear format errors."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glowtts_cli.audio import io as audio_io
from glowtts_cli.errors import AudioFormatError


def _sine(freq: float, sample_rate: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(audio: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.argmax(spectrum) * sample_rate / audio.size)


@pytest.mark.parametrize(("suffix", "atol"), [(".wav", 1 / 32768), (".flac", 1 / 32768)])
def test_lossless_round_trip(tmp_path: Path, suffix: str, atol: float) -> None:
    audio = _sine(440.0, 22050)
    path = audio_io.save(tmp_path / f"a{suffix}", audio, 22050)
    back = audio_io.load(path, 22050)
    assert back.dtype == np.float32 and back.shape == audio.shape
    np.testing.assert_allclose(back, audio, rtol=0, atol=atol)
    assert audio_io.info(path).sample_rate == 22050
    assert audio_io.info(path).frames == audio.size


def test_ogg_round_trip_keeps_pitch_and_level(tmp_path: Path) -> None:
    audio = _sine(440.0, 22050)
    back = audio_io.load(audio_io.save(tmp_path / "a.ogg", audio, 22050), 22050)
    assert abs(back.size - audio.size) < 2048
    assert _peak_hz(back, 22050) == pytest.approx(440.0, abs=2.0)
    assert np.sqrt(np.mean(back**2)) == pytest.approx(np.sqrt(np.mean(audio**2)), rel=0.05)


def test_load_resamples_with_soxr(tmp_path: Path) -> None:
    path = tmp_path / "in.wav"
    sf.write(path, _sine(1000.0, 44100), 44100, subtype="FLOAT")
    out = audio_io.load(path, 22050)
    assert out.dtype == np.float32
    assert out.size == 22050
    assert _peak_hz(out, 22050) == pytest.approx(1000.0, abs=1.0)
    # Away from the edges a VHQ resampler reproduces the sine almost exactly.
    np.testing.assert_allclose(out[500:-500], _sine(1000.0, 22050)[500:-500], atol=1e-3)


def test_load_averages_channels(tmp_path: Path) -> None:
    left, right = _sine(300.0, 16000), _sine(500.0, 16000, amp=0.25)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    out = audio_io.load(path, 16000)
    assert out.ndim == 1
    np.testing.assert_allclose(out, (left + right) / 2, atol=1e-6)
    assert audio_io.info(path).channels == 2


def test_save_clips_instead_of_wrapping(tmp_path: Path) -> None:
    back = audio_io.load(audio_io.save(tmp_path / "c.wav", np.array([1.5, -2.0, 0.25]), 8000), 8000)
    np.testing.assert_allclose(back, [32767 / 32768, -1.0, 0.25], atol=1e-6)


def test_save_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    audio_io.save(path, _sine(440.0, 8000), 8000)
    audio_io.save(path, _sine(880.0, 8000, seconds=0.5), 8000)
    assert audio_io.info(path).frames == 4000
    with pytest.raises(AudioFormatError, match="NaN"):
        audio_io.save(path, np.array([0.0, np.nan], dtype=np.float32), 8000)
    assert audio_io.info(path).frames == 4000  # the failed write left the old file alone
    assert sorted(os.listdir(tmp_path)) == ["out.wav"]  # and no temporary file behind


@pytest.mark.parametrize("name", ["out.mp4", "out.txt", "noext"])
def test_save_rejects_unsupported_extensions(tmp_path: Path, name: str) -> None:
    with pytest.raises(AudioFormatError) as err:
        audio_io.save(tmp_path / name, np.zeros(10), 8000)
    assert ".wav" in (err.value.hint or "")
    assert os.listdir(tmp_path) == []


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="does not exist"):
        audio_io.load(tmp_path / "nope.wav", 22050)
    with pytest.raises(AudioFormatError, match="does not exist"):
        audio_io.info(tmp_path / "nope.wav")


def test_load_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF this is not audio at all")
    with pytest.raises(AudioFormatError, match="Cannot read") as err:
        audio_io.load(path, 22050)
    assert err.value.hint


def test_save_rejects_multichannel(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="mono"):
        audio_io.save(tmp_path / "x.wav", np.zeros((100, 2)), 8000)


def test_wav_bytes_are_a_readable_wav() -> None:
    audio = _sine(440.0, 8000, seconds=0.1)
    data, rate = sf.read(io.BytesIO(audio_io.to_wav_bytes(audio, 8000)), dtype="float32")
    assert rate == 8000
    np.testing.assert_allclose(data, audio, atol=1 / 32768)


def test_peak_normalize() -> None:
    out = audio_io.peak_normalize(np.array([0.1, -0.2, 0.05], dtype=np.float32), 0.9)
    np.testing.assert_allclose(out, [0.45, -0.9, 0.225], rtol=1e-6)
    assert np.all(audio_io.peak_normalize(np.zeros(4)) == 0)
