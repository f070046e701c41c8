"""Audio files in and out: mono float32 loading with high-quality resampling, atomic saving.

Reading and writing go through soundfile (libsndfile); resampling through soxr at "VHQ" quality.
Every 16-bit sample the package writes (files, pipes, server responses) is quantised by
:func:`pcm16`. Every failure a user can cause (missing file, unknown format, bad extension) is an
``AudioFormatError``.
"""

from __future__ import annotations

import errno
import functools
import numbers
import re
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from glowtts_cli.errors import AudioFormatError
from glowtts_cli.files import atomic_path

WRITE_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".opus": ("OGG", "OPUS"),
}
"""Extension -> (soundfile format, subtype) that :func:`save` writes."""

ENCODED: dict[str, str] = {".mp3": "mp3", ".opus": "opus"}
"""Extensions written through ``audio.encoders.AudioEncoder`` (its bitrate, its 24 kHz Opus)."""

RESAMPLE_QUALITY = "VHQ"
"""soxr quality preset used for every sample-rate conversion."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header without decoding the samples."""

    sample_rate: int
    """Samples per second."""
    frames: int
    """Samples per channel."""
    channels: int
    """Channel count."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def info(path: str | Path) -> AudioInfo:
    """Read the header of an audio file.

    Raises:
        AudioFormatError: the file is missing or not a readable audio file.
    """
    try:
        meta = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as e:
        raise _unreadable(path, e) from e
    return AudioInfo(
        sample_rate=int(meta.samplerate), frames=int(meta.frames), channels=meta.channels
    )


def load(path: str | Path, sample_rate: int) -> np.ndarray:
    """Read an audio file as mono float32 at ``sample_rate``.

    Channels are averaged; other sample rates are converted with soxr (VHQ).

    Returns:
        ``[S]`` float32 samples, nominally in [-1, 1].

    Raises:
        AudioFormatError: the file is missing, unreadable or empty.
    """
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)  # [S, channels]
    except (sf.LibsndfileError, RuntimeError, OSError) as e:
        raise _unreadable(path, e) from e
    if data.shape[0] == 0:
        raise AudioFormatError(f"Audio file {path} contains no samples.")
    mono = data.mean(axis=1, dtype=np.float32)  # [S]
    return resample(mono, int(file_rate), sample_rate)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Convert mono float32 audio between sample rates with soxr (VHQ); a no-op for equal rates."""
    audio = np.asarray(audio, dtype=np.float32)
    if from_rate == to_rate:
        return audio
    if from_rate <= 0 or to_rate <= 0:
        raise AudioFormatError(f"Sample rates must be positive, got {from_rate} -> {to_rate}.")
    out = soxr.resample(audio, from_rate, to_rate, quality=RESAMPLE_QUALITY)
    return np.ascontiguousarray(out, dtype=np.float32)


def pcm16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Float samples as 16-bit integers: clipped to [-1, 1], times 32768, rounded to nearest.

    32768 is the scale every reader divides by (libsndfile, sox, ``int16 / 32768``), so a round
    trip is off by at most half a step; +1.0 becomes 32767. libsndfile's own conversion rounds
    down instead, which is why 16-bit data is quantised here and handed to it as integers.
    """
    scaled = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * np.float32(32768.0)
    ints: npt.NDArray[np.int16] = np.clip(np.rint(scaled), -32768, 32767).astype("<i2")
    return ints


def wav_header(sample_rate: int, frames: int | None) -> bytes:
    """44-byte header of a 16-bit mono PCM WAV; ``frames=None`` marks the sizes unknown
    (0xFFFFFFFF, the convention of sox and ffmpeg for a stream of unknown length)."""
    data = 0xFFFFFFFF if frames is None else 2 * frames
    riff = 0xFFFFFFFF if frames is None else 36 + data
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        *(b"RIFF", riff, b"WAVE", b"fmt ", 16, 1, 1, sample_rate, 2 * sample_rate, 2, 16),
        *(b"data", data),
    )


def peak_normalize(audio: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale so that the largest absolute sample equals ``peak``; silence is returned unchanged."""
    audio = np.asarray(audio, dtype=np.float32)
    top = float(np.max(np.abs(audio))) if audio.size else 0.0
    if top == 0.0:
        return audio
    return (audio * (peak / top)).astype(np.float32)


def save(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write mono audio as WAV, FLAC, OGG/Vorbis, MP3 or Ogg/Opus, chosen by the extension.

    The file appears atomically: it is written to a temporary file in the same folder and then
    renamed, so readers never see half a file and a failed write leaves any old file in place.
    Samples are clipped to [-1, 1] (16-bit PCM would otherwise wrap around).

    Returns:
        The path written.

    Raises:
        AudioFormatError: unsupported extension, or audio that is not 1-D finite samples.
    """
    path = Path(path)
    fmt = _write_format(path)
    samples = _checked_samples(audio)
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, numbers.Integral)
        or sample_rate <= 0
    ):
        raise AudioFormatError(
            f"Cannot write {path}: the sample rate must be a whole number of Hz above 0, "
            f"got {sample_rate!r}.",
            hint="Pass the rate the samples were made at (a voice's Audio carries it).",
        )
    if path.suffix.lower() in ENCODED:
        from glowtts_cli.audio.writer import StreamingAudioWriter  # it builds on this module

        with StreamingAudioWriter(path, sample_rate) as writer:
            writer.write(samples)
        return path
    try:
        with atomic_path(path) as tmp:  # by name: libsndfile reports a full disk as an error
            sf.write(str(tmp), as_written(samples, fmt[1]), sample_rate, format=fmt[0],
                     subtype=fmt[1])  # fmt: skip
    except (OSError, sf.LibsndfileError) as e:
        raise write_error(path, e) from e
    return path


def as_written(samples: npt.NDArray[np.float32], subtype: str) -> npt.NDArray[np.generic]:
    """What to hand libsndfile for ``subtype``: :func:`pcm16` integers for 16-bit PCM."""
    return pcm16(samples) if subtype == "PCM_16" else np.clip(samples, -1.0, 1.0)


def write_error(path: Path, error: BaseException) -> AudioFormatError:
    """Why writing ``path`` failed, in words that name ``path`` (never its temporary file)."""
    folder = path.parent if str(path.parent) else Path(".")
    if isinstance(error, FileNotFoundError) and folder.is_dir():
        reason = f"the folder {folder} does not accept new files"
    elif _is_full(error, folder):
        reason = "the disk is full"
    elif isinstance(error, OSError):
        reason = (error.strerror or str(error)).rstrip(".").lower()
    else:  # its message may name the temporary file: name the target instead
        said = re.sub(r"'[^']*\.tmp'", repr(str(path)), str(error)).rstrip(".")
        reason = f"the audio library failed ({said})"
    free = "Free some space or choose" if reason == "the disk is full" else "Choose"
    return AudioFormatError(
        f"Cannot write {path}: {reason}.",
        hint=f"{free} another path; any file already there is unchanged.",
    )


def _is_full(error: BaseException, folder: Path) -> bool:
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    return _disk_full(folder)  # libsndfile says "System error" and gives no errno


def _disk_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 64 * 1024
    except OSError:
        return False


def to_wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """Encode mono audio as a 16-bit PCM WAV file in memory (for ``--out -``)."""
    samples = pcm16(_checked_samples(audio))
    return wav_header(sample_rate, len(samples)) + samples.tobytes()


def _write_format(path: Path) -> tuple[str, str]:
    suffix = path.suffix.lower()
    if path.is_dir():
        raise AudioFormatError(
            f"Cannot write {path}: it is a folder.",
            hint=f"Name a file in it, e.g. {path / 'out.wav'}.",
        )
    if not suffix:
        raise AudioFormatError(
            f"Cannot write {path}: its name has no extension to tell the format.",
            hint=f"End it with one of: {', '.join(WRITE_FORMATS)}.",
        )
    if suffix not in WRITE_FORMATS:
        raise AudioFormatError(
            f"Cannot write audio as '{suffix or path.name}'.",
            hint=f"Use one of these extensions: {', '.join(WRITE_FORMATS)}.",
        )
    major, subtype = WRITE_FORMATS[suffix]
    if not can_write(major, subtype):
        raise AudioFormatError(
            f"Cannot write {path}: this machine's libsndfile {sf.__libsndfile_version__} has no "
            f"{suffix[1:].upper()} encoder.",
            hint="Upgrade soundfile (pip install -U soundfile; its wheels bundle one), "
            "or write .wav and convert it.",
        )
    return WRITE_FORMATS[suffix]


@functools.cache
def can_write(major: str, subtype: str) -> bool:
    """Whether this machine's libsndfile writes ``major``/``subtype`` (older builds lack MP3)."""
    return major in sf.available_formats() and subtype in sf.available_subtypes(major)


def _checked_samples(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim == 2 and 1 in samples.shape:
        samples = samples.reshape(-1)
    if samples.ndim != 1:
        raise AudioFormatError(
            f"Expected mono audio [S], got shape {samples.shape}.",
            hint="Pass one channel: a 1-D array of samples (mix or pick a channel first).",
        )
    if not np.all(np.isfinite(samples)):
        raise AudioFormatError(
            "Audio contains NaN or infinite samples; refusing to write it.",
            hint="Replace them first, e.g. numpy.nan_to_num(samples, nan=0.0).",
        )
    return np.clip(samples, -1.0, 1.0)


def _unreadable(path: str | Path, error: Exception) -> AudioFormatError:
    if not Path(path).exists():
        return AudioFormatError(f"Audio file {path} does not exist.", hint="Check the path.")
    return AudioFormatError(
        f"Cannot read audio file {path}: {error}",
        hint="Use WAV, FLAC, OGG or MP3; convert other formats with ffmpeg or sox.",
    )
