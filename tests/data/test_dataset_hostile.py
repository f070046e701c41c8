"""Issue 18 item 5: the checker looks at real paths and regular files only.

A symlink out of the dataset is an escaping path, a FIFO named like a clip is reported instead of
hanging the checker, a header row is recognised, and an LJSpeech id with path components is not
a plain name, whether or not the file it would point to exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glowtts_cli.data.issues import issue_kind
from glowtts_cli.data.manifest import read_manifest
from glowtts_cli.data.validate import check_dataset
from glowtts_cli.errors import DatasetError
from tests.data.audio_fixtures import write_clip

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def _ljspeech(root: Path, lines: list[str], clips: tuple[str, ...] = ("a", "b")) -> Path:
    texts = {name: write_clip(root / "wavs" / f"{name}.wav", 1.0, seed=i)
             for i, name in enumerate(clips)}  # fmt: skip
    body = [line.format(**texts) for line in lines] + [f"{n}|{t}" for n, t in texts.items()]
    (root / "metadata.csv").write_text("\n".join(body) + "\n", "utf-8")
    return root


def _kinds(root: Path) -> dict[str, str]:
    report = check_dataset(root)
    return {i.where: issue_kind(i) for i in report.issues if i.severity == "error"}


def test_issue_18_symlink_out_of_the_dataset(tmp_path: Path) -> None:
    outside = tmp_path / "outside.wav"
    write_clip(outside, 1.0)
    root = _ljspeech(tmp_path / "ds", [])
    (root / "wavs" / "link.wav").symlink_to(outside)
    (root / "metadata.csv").write_text((root / "metadata.csv").read_text() + "link|Hello.\n")
    assert _kinds(root) == {"link": "path_escape"}
    assert check_dataset(root).summary.usable_clips == 2
    folder = tmp_path / "folder"
    write_clip(folder / "x.wav", 1.0)
    (folder / "x.txt").write_text("Hello there.")
    (folder / "y.wav").symlink_to(outside)
    (folder / "y.txt").write_text("Hello again.")
    assert _kinds(folder) == {"y": "path_escape"}


@needs_fifo
def test_issue_18_fifo_clip_does_not_hang(tmp_path: Path) -> None:
    root = _ljspeech(tmp_path / "ds", [])
    os.mkfifo(root / "wavs" / "x.wav")
    (root / "metadata.csv").write_text((root / "metadata.csv").read_text() + "x|Hello.\n")
    # In a child process with a deadline: a hang fails the test instead of stalling the suite.
    code = (
        "import sys; from glowtts_cli.data.validate import check_dataset;"
        f"r = check_dataset({str(root)!r});"
        "print([(i.where, i.problem) for i in r.issues if i.severity == 'error'])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "('x', 'x.wav is not a regular file')" in result.stdout, result.stdout
    folder = tmp_path / "folder"
    (folder / "x.txt").write_text(write_clip(folder / "x.wav", 1.0))
    write_clip(folder / "y.wav", 1.0)
    os.mkfifo(folder / "y.txt")
    assert _kinds(folder) == {"y": "malformed_metadata"}
    fifo_metadata = tmp_path / "fifo_meta"
    fifo_metadata.mkdir()
    os.mkfifo(fifo_metadata / "list.csv")
    with pytest.raises(DatasetError, match="neither a folder nor a regular file"):
        read_manifest(fifo_metadata / "list.csv")


def test_issue_18_header_row_is_recognised(tmp_path: Path) -> None:
    root = _ljspeech(tmp_path / "ds", ["id|text"])
    report = check_dataset(root)
    assert report.ok and report.summary.clips == 2
    (warning,) = [i for i in report.issues if i.where == "metadata.csv:1"]
    assert warning.severity == "warning" and "header row" in warning.problem
    # A clip that is really named "id" is a clip, not a header.
    named = _ljspeech(tmp_path / "named", ["id|{a}"], clips=("a", "id"))
    assert check_dataset(named).summary.clips == 3


@pytest.mark.parametrize("bad_id", ["../outside", "sub/a", "..", "/abs/a", "c:a", "a\\b"])
def test_issue_18_ids_must_be_plain_names(bad_id: str, tmp_path: Path) -> None:
    root = _ljspeech(tmp_path / "ds", [f"{bad_id}|Hello there."])
    write_clip(root / "outside.wav", 1.0)  # "wavs/../outside" exists inside the folder
    (root / "wavs" / "sub").mkdir()
    write_clip(root / "wavs" / "sub" / "a.wav", 1.0)
    kinds = _kinds(root)
    assert kinds == {bad_id: "path_escape"}, kinds
    assert check_dataset(root).summary.usable_clips == 2
