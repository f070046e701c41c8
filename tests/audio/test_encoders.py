"""The encoders (server responses, ``say -o x.mp3``): every format decodes, streamed formats emit
bytes before the end, 16-bit formats carry exactly ``pcm16``'s samples."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
import soxr

from glowtts_cli.audio.encoders import FORMATS, AudioEncoder, streaming_wav_header
from glowtts_cli.audio.io import pcm16

RATE = 22050


def tone(seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(fmt: str, chunks: list[np.ndarray], **kwargs: int) -> tuple[list[bytes], bytes]:
    encoder = AudioEncoder(fmt, RATE, **kwargs)
    parts = [encoder.write(chunk) for chunk in chunks]
    return parts, encoder.finish()


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_streamed_wav_is_exact_pcm16() -> None:
    chunks = [tone(0.3), tone(0.2, 660.0), tone(0.25)]
    parts, tail = encode("wav", chunks)
    assert parts[0].startswith(streaming_wav_header(RATE)) and all(parts) and tail == b""
    decoded, rate = sf.read(io.BytesIO(b"".join(parts)), dtype="int16")
    expected = pcm16(np.concatenate(chunks))
    assert rate == RATE and np.array_equal(decoded, expected)


def test_pcm_resampling_is_continuous_across_chunks() -> None:
    whole = tone(0.9)
    parts, tail = encode("pcm", [whole[:7000], whole[7000:13000], whole[13000:]], pcm_rate=24000)
    chunked = np.frombuffer(b"".join(parts) + tail, dtype="<i2").astype(np.float32) / 32768
    reference = soxr.resample(whole, RATE, 24000, quality="VHQ")
    assert abs(len(chunked) - len(reference)) <= 1
    n = min(len(chunked), len(reference))
    assert np.abs(chunked[:n] - reference[:n]).max() < 2e-3


@pytest.mark.parametrize(("fmt", "rate"), [("mp3", RATE), ("opus", 24000)])
def test_lossy_formats_stream_and_decode(fmt: str, rate: int) -> None:
    chunks = [tone(0.5), tone(0.5), tone(0.5)]
    parts, tail = encode(fmt, chunks)
    assert sum(len(p) for p in parts[:2]) > 0  # bytes leave before the utterance is finished
    decoded, decoded_rate = sf.read(io.BytesIO(b"".join(parts) + tail), dtype="float32")
    assert decoded_rate == rate
    assert abs(len(decoded) / rate - 1.5) < 0.12
    assert abs(peak_hz(decoded, rate) - 440.0) < 5.0


def test_flac_is_lossless_and_sent_at_the_end() -> None:
    chunks = [tone(0.2), tone(0.3, 880.0)]
    parts, tail = encode("flac", chunks)
    assert parts == [b"", b""] and not FORMATS["flac"].streams
    decoded, rate = sf.read(io.BytesIO(tail), dtype="int16")
    assert rate == RATE
    assert np.array_equal(decoded, pcm16(np.concatenate(chunks)))


def test_samples_are_clipped_not_wrapped() -> None:
    parts, _ = encode("pcm", [np.array([2.0, -2.0, 0.5], dtype=np.float32)])
    assert np.frombuffer(b"".join(parts), dtype="<i2").tolist() == [32767, -32768, 16384]


def test_pcm16_rounds_to_nearest_at_the_readers_scale() -> None:
    x = np.array([1.0, -1.0, 0.5, 1.4 / 32768, 1.6 / 32768, -1.6 / 32768, 3.0], dtype=np.float32)
    assert pcm16(x).tolist() == [32767, -32768, 16384, 1, 2, -2, 32767]
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.999, 0.999, 10_000).astype(np.float32)
    assert np.abs(pcm16(y) / 32768 - y).max() <= 0.5 / 32768 + 1e-9
