"""Audio encoders that turn sentence-sized float32 chunks into bytes, for a file, a pipe or HTTP.

Each encoder is fed chunk by chunk (``write``) and closed once (``finish``); the bytes either call
returns can be sent at once, so a long text starts playing after its first sentence. WAV is sent
with the "unknown length" header (sizes 0xFFFFFFFF) that streaming readers accept; ``pcm`` is raw
16-bit little-endian mono; Ogg/Opus and constant-bitrate MP3 are written by libsndfile into an
append-only sink. FLAC keeps sample counts in its header, so it is sent when complete. The server's
responses and ``glowtts say -o x.mp3|x.opus`` / ``--output-raw`` all use this one implementation.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from glowtts_cli.audio.io import RESAMPLE_QUALITY, can_write, pcm16, wav_header

Samples = npt.NDArray[np.float32]

OPUS_RATE = 24_000
"""Opus accepts only 8/12/16/24/48 kHz; 24 kHz keeps all of a 22.05 kHz voice's bandwidth."""
MP3_COMPRESSION = 0.5
"""libsndfile's MP3 compression level (0 best, 1 smallest); about 80 kbit/s at 22 kHz."""


@dataclass(frozen=True)
class FormatInfo:
    """What a response format looks like on the wire."""

    media_type: str
    """The Content-Type header."""
    extension: str
    """File extension for downloads."""
    streams: bool
    """True when bytes can be sent before the whole text is synthesized."""


FORMATS: dict[str, FormatInfo] = {
    "wav": FormatInfo("audio/wav", "wav", True),
    "pcm": FormatInfo("audio/pcm", "pcm", True),
    "mp3": FormatInfo("audio/mpeg", "mp3", True),
    "opus": FormatInfo("audio/ogg", "ogg", True),
    "flac": FormatInfo("audio/flac", "flac", False),
}
"""Formats the encoder writes, by their OpenAI name (the server's ``response_format``)."""

_NEEDS = {"mp3": ("MP3", "MPEG_LAYER_III"), "opus": ("OGG", "OPUS"), "flac": ("FLAC", "PCM_16")}
"""libsndfile format and subtype behind each encoded format (older builds lack MP3 or Opus)."""


@functools.cache
def missing_formats() -> frozenset[str]:
    """Formats this machine's libsndfile cannot write."""
    return frozenset(name for name, needs in _NEEDS.items() if not can_write(*needs))


def streaming_wav_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header whose RIFF and data sizes say "unknown" (0xFFFFFFFF)."""
    return wav_header(sample_rate, None)


class _Resampler:
    """Chunked soxr resampling that stays continuous across sentence boundaries."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self._stream = (
            None
            if from_rate == to_rate
            else soxr.ResampleStream(
                from_rate, to_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY
            )
        )

    def __call__(self, samples: Samples, *, last: bool = False) -> Samples:
        if self._stream is None:
            return samples
        out = self._stream.resample_chunk(np.asarray(samples, dtype=np.float32), last=last)
        return np.asarray(out, dtype=np.float32)


class _AppendOnlySink(io.RawIOBase):
    """A file object for libsndfile whose bytes can be taken as they are written.

    libsndfile may seek back to patch a header at close. Bytes already handed out cannot change,
    so such late patches are dropped; the formats streamed this way (Ogg/Opus, CBR MP3) decode
    correctly without them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._data = bytearray()
        self._pos = 0
        self._sent = 0

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        end = self._pos + len(chunk)
        if end > len(self._data):
            self._data.extend(b"\0" * (end - len(self._data)))
        start = max(self._pos, self._sent)
        if start < end:
            self._data[start:end] = chunk[start - self._pos :]
        self._pos = end
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._data)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._data[self._pos : self._pos + len(view)]
        view[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def take(self) -> bytes:
        """Everything written since the last call."""
        new = bytes(self._data[self._sent :])
        self._sent = len(self._data)
        return new


class AudioEncoder:
    """Encode mono float32 chunks of one utterance into one response body, incrementally."""

    def __init__(self, fmt: str, sample_rate: int, *, pcm_rate: int | None = None) -> None:
        """``pcm_rate`` resamples ``pcm`` output (``/v1`` uses 24 kHz like OpenAI)."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        self.format = fmt
        self.info = FORMATS[fmt]
        self.sample_rate = sample_rate
        out_rate = {"pcm": pcm_rate or sample_rate, "opus": OPUS_RATE}.get(fmt, sample_rate)
        self.output_rate = out_rate
        self._resample = _Resampler(sample_rate, out_rate)
        self._pending: list[Samples] = []
        self._sink: _AppendOnlySink | None = None
        self._file: Any = None
        self._started = False
        if fmt in ("mp3", "opus"):
            self._sink = _AppendOnlySink()
            options: dict[str, Any] = {"format": "OGG", "subtype": "OPUS"}
            if fmt == "mp3":
                # Constant bitrate: without the Xing header (patched in at close, which a
                # stream cannot do) decoders can only size a CBR stream correctly.
                options = {
                    "format": "MP3",
                    "subtype": "MPEG_LAYER_III",
                    "bitrate_mode": "CONSTANT",
                    "compression_level": MP3_COMPRESSION,
                }
            self._file = sf.SoundFile(self._sink, "w", samplerate=out_rate, channels=1, **options)

    def write(self, samples: Samples) -> bytes:
        """Add a chunk; returns the bytes that can be sent now (possibly none)."""
        chunk = self._resample(np.asarray(samples, dtype=np.float32).reshape(-1))
        if self.format == "flac":
            self._pending.append(chunk)
            return b""
        return self._emit(chunk)

    def finish(self) -> bytes:
        """Flush and close; returns the remaining bytes."""
        tail = self._resample(np.zeros(0, dtype=np.float32), last=True)
        if self.format == "flac":
            self._pending.append(tail)
            buffer = io.BytesIO()
            # Quantised here, like wav and pcm, so every format carries the same 16-bit samples.
            ints = pcm16(np.concatenate(self._pending))
            sf.write(buffer, ints, self.output_rate, format="FLAC", subtype="PCM_16")
            return buffer.getvalue()
        data = self._emit(tail)
        if self._file is not None and self._sink is not None:
            self._file.close()
            data += self._sink.take()
        return data

    def _emit(self, chunk: Samples) -> bytes:
        head = b""
        if not self._started:
            self._started = True
            head = streaming_wav_header(self.output_rate) if self.format == "wav" else b""
        if self._file is not None and self._sink is not None:
            if len(chunk):
                self._file.write(np.clip(chunk, -1.0, 1.0))
            return self._sink.take()
        return head + pcm16(chunk).tobytes()
