"""Atomic writes, sha256 of a file and the JSON reader (glowtts_cli.files)."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glowtts_cli.errors import ConfigError
from glowtts_cli.files import (
    GRACE_SECONDS,
    STALE_SECONDS,
    atomic_path,
    atomic_write_text,
    cache_root,
    read_json,
    sha256_file,
    sweep_temporaries,
    write_json,
)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_committed_file_is_whole_and_has_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.bin"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".out.bin.")
        os.chmod(tmp, 0o600)  # as safetensors leaves its files
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert _leftovers(target.parent) == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, error: BaseException
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(type(error)), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise error
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_folder_is_staged_and_renamed_into_place(tmp_path: Path) -> None:
    target = tmp_path / "voice"
    with atomic_path(target, folder=True) as staging:
        (staging / "a.txt").write_text("a")
    assert (target / "a.txt").read_text() == "a"
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "other", folder=True) as staging:
        (staging / "b.txt").write_text("b")
        raise RuntimeError("interrupted")
    assert not (tmp_path / "other").exists() and _leftovers(tmp_path) == []


def test_json_round_trip_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    write_json(path, {"b": 1, "a": "é"})
    assert path.read_text("utf-8") == '{\n  "a": "\\u00e9",\n  "b": 1\n}\n'
    write_json(path, {"a": "é"}, ensure_ascii=False)
    assert read_json(path) == {"a": "é"}


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "Cannot read"), (b"{not json", "Cannot read"), (b"\xff\xfe", "Cannot read"),
     (b"[1, 2]", "does not hold a JSON object")],
    ids=["missing", "garbage", "not-utf8", "list"],
)  # fmt: skip
def test_read_json_errors_name_the_file(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "run.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as info:
        read_json(path, hint="Restore it.")
    assert str(path) in info.value.message and info.value.hint == "Restore it."


def test_sha256_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    atomic_write_text(path, "x")
    assert sha256_file(path) == hashlib.sha256(b"x").hexdigest()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _touch(path: Path, *, age: float, folder: bool = False) -> Path:
    path.mkdir() if folder else path.write_bytes(b"x")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_issue_18_sweep_removes_only_our_temporaries_of_gone_processes(tmp_path: Path) -> None:
    """Item 10: the owning pid is gone (and a minute passed), or an old pid-less name is a day
    old; a live pid, a recent file, and every name not of our pattern stay."""
    dead, hex32 = _dead_pid(), "0123456789abcdef" * 2
    old = GRACE_SECONDS + 5
    gone = [
        _touch(tmp_path / f".out.wav.{dead}-{hex32}.tmp", age=old),
        _touch(tmp_path / f".voice.{dead}-{hex32}.tmp", age=old, folder=True),
        _touch(tmp_path / f".old.wav.{hex32}.tmp", age=STALE_SECONDS + 5),  # before the pid
    ]
    (gone[1] / "model.safetensors").write_bytes(b"x")
    os.utime(gone[1], (time.time() - old, time.time() - old))  # the write made it recent
    kept = [
        _touch(tmp_path / f".live.wav.{os.getpid()}-{hex32}.tmp", age=STALE_SECONDS + 5),
        _touch(tmp_path / f".recent.wav.{dead}-{hex32}.tmp", age=GRACE_SECONDS - 30),
        _touch(tmp_path / f".new.wav.{hex32}.tmp", age=old),
        _touch(tmp_path / ".notes.tmp", age=STALE_SECONDS + 5),
        _touch(tmp_path / f".x.{dead}.tmp", age=STALE_SECONDS + 5),
        _touch(tmp_path / f"out.wav.{dead}-{hex32}.tmp", age=STALE_SECONDS + 5),  # no dot
        _touch(tmp_path / f".a.{dead}-{hex32}.tmp.bak", age=STALE_SECONDS + 5),
    ]
    assert sorted(sweep_temporaries(tmp_path)) == sorted(gone)
    assert not any(p.exists() for p in gone) and all(p.exists() for p in kept)


_KILLED_WHILE_WRITING = """
import os, signal, sys
from glowtts_cli.files import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_issue_18_a_write_killed_by_sigkill_is_swept_by_a_later_process(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    killed = subprocess.run([sys.executable, "-c", _KILLED_WHILE_WRITING, str(target)])
    assert killed.returncode == -signal.SIGKILL
    (left,) = _leftovers(tmp_path)
    assert target.read_text() == "old"
    then = time.time() - GRACE_SECONDS - 5  # a minute later
    os.utime(tmp_path / left, (then, then))
    later = "import sys; from glowtts_cli.files import write_json; write_json(sys.argv[1], {})"
    subprocess.run([sys.executable, "-c", later, str(tmp_path / "other.json")], check=True)
    assert _leftovers(tmp_path) == [] and target.read_text() == "old"


def test_cache_root_follows_the_platform_convention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOWTTS_CACHE", "/some/where")
    assert cache_root() == Path("/some/where")
    monkeypatch.delenv("GLOWTTS_CACHE")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
        assert cache_root() == Path("/xdg/glowtts")
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert cache_root() == Path.home() / ".cache" / "glowtts"
