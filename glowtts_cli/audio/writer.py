"""Write audio to a file chunk by chunk (bounded memory), appearing atomically when done.

Used for long texts: each sentence is appended as soon as it is synthesized. The data goes to a
temporary file beside the target; only ``close()`` renames it into place, so an interrupted run
never leaves a half-written file under the requested name.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from glowtts_cli.audio.io import _write_format
from glowtts_cli.errors import AudioFormatError


def check_writable(path: Path) -> None:
    """Fail early (before any synthesis) if ``path`` cannot be written in a known format."""
    _write_format(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise AudioFormatError(
            f"Cannot write {path}: the folder {folder} does not exist.",
            hint="Create it first or choose another --out path.",
        )
    if not os.access(folder, os.W_OK):
        raise AudioFormatError(
            f"Cannot write {path}: no permission to write in {folder}.",
            hint="Choose another --out path.",
        )
    if path.is_dir():
        raise AudioFormatError(f"Cannot write {path}: it is a folder.", hint="Name a file.")


class StreamingAudioWriter:
    """Append mono float32 chunks to a WAV/FLAC/OGG file; use as a context manager."""

    def __init__(self, path: str | Path, sample_rate: int) -> None:
        self.path = Path(path)
        check_writable(self.path)
        fmt, subtype = _write_format(self.path)
        self._tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            self._file: Any = sf.SoundFile(
                self._tmp, "w", samplerate=sample_rate, channels=1, format=fmt, subtype=subtype
            )
        except (sf.LibsndfileError, OSError) as e:
            raise AudioFormatError(f"Cannot write {self.path}: {e}") from e
        self.frames = 0

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        """Append samples (clipped to [-1, 1] so 16-bit PCM cannot wrap around)."""
        chunk = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
        self._file.write(chunk)
        self.frames += len(chunk)

    def close(self) -> Path:
        """Finish the file and move it into place."""
        self._file.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop everything written so far; the target path is left untouched."""
        with contextlib.suppress(Exception):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> StreamingAudioWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
