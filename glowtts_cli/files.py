"""Files that appear whole or not at all, the sha256 of a file, and JSON read and written once.

Standard library only, just above ``errors``: every writer in the package (voice folders,
vocoders, audio, prepared features, checkpoints, ``run.json``) goes through :func:`atomic_path`,
so a crash or Ctrl-C leaves the old file or the new one under the target name, never a torn one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from glowtts_cli.errors import ConfigError

__all__ = [
    "AtomicPath",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "json_text",
    "read_json",
    "sha256_file",
    "write_json",
]


class AtomicPath:
    """A temporary sibling of ``target`` that is renamed onto it by :meth:`commit`.

    As a context manager it yields the temporary path, commits when the block ends normally and
    discards the temporary on any exception (KeyboardInterrupt included). Writers that need a path
    of their own (soundfile, safetensors, ``torch.save``, a whole folder) write to ``tmp``.
    """

    def __init__(self, target: str | Path, *, folder: bool = False, sync: bool = True) -> None:
        """Create the temporary (an empty file, or an empty folder with ``folder=True``).

        Args:
            target: the final path; its parent folder is created if needed.
            folder: stage a folder instead of a file (``os.replace`` needs the target absent or
                an empty folder).
            sync: flush a file to disk before the rename, so that the rename never outlives its
                data after a power cut.
        """
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.with_name(f".{self.target.name}.{uuid.uuid4().hex}.tmp")
        self._folder = folder
        self._sync = sync
        if folder:
            self.tmp.mkdir()
        else:
            # Created here rather than by mkstemp, so it has the usual umask permissions, not 0600.
            self.tmp.open("xb").close()
        self._mode = self.tmp.stat().st_mode

    def commit(self) -> Path:
        """Move the temporary into place; returns the target."""
        if not self._folder:
            # Some writers (safetensors) recreate their file as 0600; published files stay readable.
            os.chmod(self.tmp, self._mode)
            if self._sync:
                with open(self.tmp, "rb") as handle:
                    os.fsync(handle.fileno())
        os.replace(self.tmp, self.target)
        return self.target

    def discard(self) -> None:
        """Remove the temporary; the target is left as it was."""
        if self._folder:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.discard()
            return
        try:
            self.commit()
        except BaseException:
            self.discard()
            raise


def atomic_path(target: str | Path, *, folder: bool = False, sync: bool = True) -> AtomicPath:
    """``with atomic_path(target) as tmp:`` write ``tmp``; it becomes ``target`` at the end."""
    return AtomicPath(target, folder=folder, sync=sync)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so that readers see the old content or the new one, never a torn file."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_text(data: Any, *, ensure_ascii: bool = True) -> str:
    """The one JSON layout of the files we write: indented by 2, keys sorted, a final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=ensure_ascii) + "\n"


def write_json(path: str | Path, data: Any, *, ensure_ascii: bool = True) -> None:
    """Write ``data`` atomically as :func:`json_text`."""
    atomic_write_text(path, json_text(data, ensure_ascii=ensure_ascii))


def read_json(path: str | Path, *, hint: str | None = None) -> dict[str, Any]:
    """Read a JSON file that must hold an object.

    Raises:
        ConfigError: the file cannot be read, is not UTF-8 JSON, or holds no object; ``hint``
            says what to do about it.
    """
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"Cannot read {path}: {e}", hint=hint) from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object.", hint=hint)
    return data
