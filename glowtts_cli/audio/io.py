"""Audio files in and out: mono float32 loading with high-quality resampling, atomic saving.

Reading and writing go through soundfile (libsndfile); resampling through soxr at "VHQ" quality.
Every failure a user can cause (missing file, unknown format, bad extension) is an
``AudioFormatError``.
"""

from __future__ import annotations

import errno
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from glowtts_cli.errors import AudioFormatError
from glowtts_cli.files import atomic_path

WRITE_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
}
"""Extension -> (soundfile format, subtype) that :func:`save` writes."""

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


def peak_normalize(audio: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale so that the largest absolute sample equals ``peak``; silence is returned unchanged."""
    audio = np.asarray(audio, dtype=np.float32)
    top = float(np.max(np.abs(audio))) if audio.size else 0.0
    if top == 0.0:
        return audio
    return (audio * (peak / top)).astype(np.float32)


def save(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write mono audio as WAV, FLAC or OGG/Vorbis, chosen by the extension.

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
    try:
        with atomic_path(path) as tmp:  # by name: libsndfile reports a full disk as an error
            sf.write(str(tmp), samples, sample_rate, format=fmt[0], subtype=fmt[1])
    except (OSError, sf.LibsndfileError) as e:
        raise write_error(path, e) from e
    return path


def write_error(path: Path, error: BaseException) -> AudioFormatError:
    """Why writing ``path`` failed, in words that name ``path`` (never its temporary file)."""
    folder = path.parent if str(path.parent) else Path(".")
    if isinstance(error, FileNotFoundError) and folder.is_dir():
        reason = f"the folder {folder} does not accept new files"
    elif _is_full(error, folder):
        reason = "the disk is full"
    elif isinstance(error, OSError):
        reason = (error.strerror or str(error)).rstrip(".").lower()
    else:
        reason = f"the audio library failed ({str(error).rstrip('.')})"
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
    buffer = io.BytesIO()
    sf.write(buffer, _checked_samples(audio), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


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
    return WRITE_FORMATS[suffix]


def _checked_samples(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim == 2 and 1 in samples.shape:
        samples = samples.reshape(-1)
    if samples.ndim != 1:
        raise AudioFormatError(f"Expected mono audio [S], got shape {samples.shape}.")
    if not np.all(np.isfinite(samples)):
        raise AudioFormatError("Audio contains NaN or infinite samples; refusing to write it.")
    return np.clip(samples, -1.0, 1.0)


def _unreadable(path: str | Path, error: Exception) -> AudioFormatError:
    if not Path(path).exists():
        return AudioFormatError(f"Audio file {path} does not exist.", hint="Check the path.")
    return AudioFormatError(
        f"Cannot read audio file {path}: {error}",
        hint="Use WAV, FLAC, OGG or MP3; convert other formats with ffmpeg or sox.",
    )
