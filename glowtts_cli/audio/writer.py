"""Write audio to a file chunk by chunk (bounded memory), appearing atomically when done.

Used for long texts: each sentence is appended as soon as it is synthesized. The data goes to a
temporary file beside the target; only ``close()`` renames it into place, so an interrupted run
never leaves a half-written file under the requested name. MP3 and Opus go through the server's
``audio.encoders.AudioEncoder``. ``WavStreamWriter`` does the same for a byte stream (``--out -``,
``--output-raw``): a streaming WAV header first (none for raw PCM), then samples as they come.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import soundfile as sf

from glowtts_cli.audio.encoders import AudioEncoder
from glowtts_cli.audio.io import ENCODED, _write_format, as_written, pcm16, wav_header, write_error
from glowtts_cli.errors import AudioFormatError
from glowtts_cli.files import atomic_path


def check_writable(path: Path) -> None:
    """Fail early (before any synthesis) if ``path`` cannot be written in a known format."""
    if path.is_dir():
        raise AudioFormatError(
            f"Cannot write {path}: it is a folder.",
            hint=f"Name a file in it, e.g. {path / 'out.wav'}.",
        )
    _write_format(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise AudioFormatError(
            f"Cannot write {path}: the folder {folder} does not exist.",
            hint="Create the folder first, or write somewhere else.",
        )
    if not os.access(folder, os.W_OK):
        raise AudioFormatError(
            f"Cannot write {path}: no permission to write in {folder}.",
            hint="Write somewhere else, or ask for write access to that folder.",
        )
    if path.is_dir():
        raise AudioFormatError(f"Cannot write {path}: it is a folder.", hint="Name a file.")


class StreamingAudioWriter:
    """Append mono float32 chunks to a WAV/FLAC/OGG/MP3/Opus file; use as a context manager."""

    def __init__(self, path: str | Path, sample_rate: int) -> None:
        self.path = Path(path)
        check_writable(self.path)
        fmt, subtype = _write_format(self.path)
        self._subtype = subtype
        self._encoder = None
        encoded = ENCODED.get(self.path.suffix.lower())
        try:
            self._staged = atomic_path(self.path)
        except OSError as e:  # a folder that takes no new files (/proc), or a full disk
            raise write_error(self.path, e) from e
        try:
            if encoded is not None:
                self._encoder = AudioEncoder(encoded, sample_rate)
                self._file: Any = open(self._staged.tmp, "wb")  # noqa: SIM115 (closed in close)
            else:
                self._file = sf.SoundFile(
                    self._staged.tmp, "w", sample_rate, channels=1, format=fmt, subtype=subtype
                )
        except (sf.LibsndfileError, OSError) as e:
            self._staged.discard()
            raise write_error(self.path, e) from e
        self.frames = 0

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        """Append samples (clipped to [-1, 1] so 16-bit PCM cannot wrap around)."""
        chunk = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
        try:
            if self._encoder is not None:
                self._file.write(self._encoder.write(chunk))
            else:
                self._file.write(as_written(chunk, self._subtype))
        except (sf.LibsndfileError, OSError) as e:  # a full disk: nothing is left behind
            self.abort()
            raise write_error(self.path, e) from e
        self.frames += len(chunk)

    def close(self) -> Path:
        """Finish the file and move it into place."""
        try:
            if self._encoder is not None:
                self._file.write(self._encoder.finish())
            self._file.close()
            return self._staged.commit()
        except (sf.LibsndfileError, OSError) as e:
            self.abort()
            raise write_error(self.path, e) from e

    def abort(self) -> None:
        """Drop everything written so far; the target path is left untouched."""
        with contextlib.suppress(Exception):
            self._file.close()
        self._staged.discard()

    def __enter__(self) -> StreamingAudioWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


_MAX_DATA = 0xFFFFFFFF - 36
"""Largest data size a WAV header can state; a longer stream keeps the "unknown" sizes."""


class WavStreamWriter:
    """16-bit PCM mono WAV written to a byte stream (stdout) chunk by chunk, in bounded memory.

    The header goes out first with unknown sizes, so a pipe reader (``aplay``, ``sox``, ``ffmpeg``,
    libsndfile) can start at once; when the stream is a regular file the sizes are filled in at
    ``close()``. ``header=False`` writes the bare samples (``--output-raw``: 16-bit little-endian,
    what ``aplay -f S16_LE`` and Piper's ``--output-raw`` readers expect). Samples are quantised by
    ``audio.io.pcm16``, exactly as in ``to_wav_bytes`` and the server's ``wav``/``pcm``.
    """

    def __init__(self, stream: BinaryIO, sample_rate: int, *, header: bool = True) -> None:
        self._stream = stream
        self._sample_rate = sample_rate
        self._start = _patch_position(stream) if header else None
        self.frames = 0
        if header:
            self._send(wav_header(sample_rate, None))

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        """Append samples (clipped to [-1, 1]) and flush them to the reader."""
        chunk = pcm16(np.asarray(samples, dtype=np.float32).reshape(-1))
        self._send(chunk.tobytes())
        self.frames += len(chunk)

    def _send(self, data: bytes) -> None:
        """Write and flush; a reader going away stays a BrokenPipeError (the caller's to take)."""
        try:
            self._stream.write(data)
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            name = getattr(self._stream, "name", None)
            where = "standard output" if name in (None, "<stdout>", 1) else str(name)
            reason = "the disk is full" if e.errno == errno.ENOSPC else e.strerror or str(e)
            raise AudioFormatError(
                f"Cannot write the audio to {where}: {reason}.",
                hint="Free some space, or send the audio elsewhere.",
            ) from e

    def close(self) -> None:
        """Flush; on a seekable stream write the real sizes into the header."""
        if self._start is not None and 2 * self.frames <= _MAX_DATA:
            end = self._stream.tell()
            self._stream.seek(self._start)
            self._stream.write(wav_header(self._sample_rate, self.frames))
            self._stream.seek(end)
        self._stream.flush()

    def __enter__(self) -> WavStreamWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()


def _patch_position(stream: BinaryIO) -> int | None:
    """Where the header starts if it can be rewritten later (a seekable, non-append stream)."""
    try:
        if not stream.seekable():
            return None
        fileno = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        fileno = None
    if fileno is not None:
        try:
            import fcntl
        except ImportError:  # Windows: no O_APPEND query; rewriting is safe there
            pass
        else:
            if fcntl.fcntl(fileno, fcntl.F_GETFL) & os.O_APPEND:
                return None  # every write would land at the end
    try:
        return stream.tell()
    except OSError:
        return None
