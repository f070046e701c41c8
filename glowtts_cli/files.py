"""Files that appear whole or not at all, the sha256 of a file, and JSON read and written once.

Standard library only, just above ``errors``: every writer in the package (voice folders,
vocoders, audio, prepared features, checkpoints, ``run.json``) goes through :func:`atomic_path`,
so a crash or Ctrl-C leaves the old file or the new one under the target name, never a torn one.
A process killed outright (``kill -9``, a power cut) cannot remove its temporary; the next write
into that folder does (:func:`sweep_temporaries`), once the process that owned it is gone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
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
    "sweep_temporaries",
    "write_json",
]

logger = logging.getLogger(__name__)

_TEMPORARY = re.compile(r"^\..+\.(?:(?P<pid>[0-9]{1,10})-)?[0-9a-f]{32}\.tmp$")
"""Our temporaries: ``.NAME.<pid>-<uuid hex>.tmp`` (``.NAME.<uuid hex>.tmp`` before the pid)."""

GRACE_SECONDS = 60.0
"""A temporary whose process is gone is left alone this long after its last change, in case it
belongs to a live writer on another machine sharing the folder (whose pid means nothing here)."""

STALE_SECONDS = 24 * 3600.0
"""A temporary without a pid (older versions) is removed once it has not changed for a day."""

_swept: set[str] = set()
_swept_lock = threading.Lock()


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
        _sweep_once(self.target.parent)
        # The pid tells a later sweep whether the writer still runs (see sweep_temporaries).
        tmp_name = f".{self.target.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp"
        self.tmp = self.target.with_name(tmp_name)
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


def sweep_temporaries(
    folder: str | Path, *, also: re.Pattern[str] | None = None, now: float | None = None
) -> list[Path]:
    """Remove the temporaries that killed processes left in ``folder``; returns what went.

    Only names of :func:`atomic_path`'s own pattern (or of ``also``, whose ``pid`` group names
    the writer) are considered, and one goes only when the process named in it no longer runs
    and it has not changed for ``GRACE_SECONDS``, or, for a name without a pid (older versions),
    when it has not changed for ``STALE_SECONDS``. A live pid keeps its file, whatever its age.
    Nothing else is touched; what cannot be listed or removed is left as it is.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name) or (also.match(entry.name) if also else None)
        if match is None or not _abandoned(entry, match, now):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        logger.info("removed %s, left by a process that was killed while writing", path)
        removed.append(path)
    return removed


def _abandoned(entry: os.DirEntry[str], match: re.Match[str], now: float) -> bool:
    """Whether the temporary ``entry`` has no live writer (see :func:`sweep_temporaries`)."""
    try:
        age = now - entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    pid = match["pid"]
    if pid is None:
        return age > STALE_SECONDS
    return age > GRACE_SECONDS and not _running(int(pid))


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists here (on Windows, where ``os.kill`` ends it: assumed yes)."""
    if os.name == "nt" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, OSError):
        return True  # another user's process, or a number that is no pid: leave the file
    return True


def _sweep_once(folder: Path) -> None:
    """Sweep ``folder`` the first time this process writes into it (one listing per folder)."""
    key = os.path.abspath(folder)
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    sweep_temporaries(folder)


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


def cache_root() -> Path:
    """Our cache folder: ``$GLOWTTS_CACHE`` if set, else the platform's user cache + ``glowtts``."""
    override = os.environ.get("GLOWTTS_CACHE")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "glowtts" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "glowtts"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "glowtts"
