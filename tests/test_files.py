"""Atomic writes, sha256 of a file and the JSON reader (glowtts_cli.files)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from glowtts_cli.errors import ConfigError
from glowtts_cli.files import atomic_path, atomic_write_text, read_json, sha256_file, write_json


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
