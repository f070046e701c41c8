"""Issue 18 items 7 and 11: a write that cannot happen is one clear line, and loses no data.

A real full disk (a 64 KiB tmpfs, when this process may mount one) and ``/dev/full`` for
standard output; ``/proc`` takes no new files; a folder or a name without extension is named as
such. The message names the requested path, never the temporary file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from glowtts_cli.api import Audio
from glowtts_cli.cli import main
from glowtts_cli.errors import AudioFormatError

GLOWTTS = shutil.which("glowtts") or ""


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 64 KiB tmpfs (skipped where mounting is not permitted)."""
    mount = tmp_path_factory.mktemp("full")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True)  # fmt: skip
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _say(tiny_voice_dir: Path, out: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    return subprocess.run(
        [GLOWTTS, "say", "Hello there. This sentence fills a small disk.", "--voice",
         str(tiny_voice_dir), "--threads", "1", "--length-scale", "4", "-o", out, *extra],
        capture_output=True, timeout=120,
    )  # fmt: skip


def _one_error(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 2 and lines[0].startswith("error: "), err
    assert lines[1].startswith("hint: ") and ".tmp" not in err, err
    return lines[0]


def test_issue_18_full_disk_keeps_the_old_file(tiny_voice_dir: Path, full_disk: Path) -> None:
    old = full_disk / "keep.wav"
    old.write_bytes(b"old audio")
    line = _one_error(_say(tiny_voice_dir, str(old)))
    assert line == f"error: Cannot write {old}: the disk is full."
    assert old.read_bytes() == b"old audio" and sorted(full_disk.iterdir()) == [old]
    with pytest.raises(AudioFormatError, match="the disk is full"):
        Audio(np.zeros(200_000, np.float32), 22050).save(full_disk / "api.wav")
    assert sorted(full_disk.iterdir()) == [old]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_issue_18_stdout_on_a_full_device(tiny_voice_dir: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [GLOWTTS, "say", "Hello.", "--voice", str(tiny_voice_dir), "--threads", "1", "-o",
             "-"], stdout=full, stderr=subprocess.PIPE, timeout=120,
        )  # fmt: skip
    assert "Cannot write the audio to standard output: the disk is full." in _one_error(result)


def test_issue_18_proc_takes_no_new_files(tiny_voice_dir: Path) -> None:
    if not Path("/proc/self").exists():
        pytest.skip("no /proc")
    line = _one_error(_say(tiny_voice_dir, "/proc/x.wav"))
    assert line == "error: Cannot write /proc/x.wav: the folder /proc does not accept new files."
    with pytest.raises(AudioFormatError, match="does not accept new files"):
        Audio(np.zeros(100, np.float32), 22050).save("/proc/x.wav")


@pytest.mark.parametrize(
    ("out", "message"),
    [("{tmp}", "Cannot write {tmp}: it is a folder."),
     ("{tmp}/noext", "Cannot write {tmp}/noext: its name has no extension to tell the format.")],
)  # fmt: skip
def test_issue_18_folder_or_no_extension(
    out: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Refused before any synthesis (in-process: nothing heavy is imported)."""
    monkeypatch.setattr(sys, "argv", ["glowtts", "say", "Hi.", "-o", out.format(tmp=tmp_path)])
    with pytest.raises(SystemExit) as caught:
        main()
    err = capsys.readouterr().err
    assert caught.value.code == 1 and err.startswith(f"error: {message.format(tmp=tmp_path)}")
