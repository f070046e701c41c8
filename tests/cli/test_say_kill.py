"""Issue 18 item 10: ``say`` killed outright (``kill -9``) while writing cannot remove its
temporary file; a later ``say`` writing into that folder does, and keeps everything else."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from glowtts_cli.files import GRACE_SECONDS
from tests.textgen import long_text

GLOWTTS = shutil.which("glowtts") or ""


def _say(voice: Path, *args: str, cwd: Path) -> subprocess.Popen[bytes]:
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    return subprocess.Popen(
        [GLOWTTS, "say", "--voice", str(voice), "--threads", "1", *args], cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip


def test_issue_18_sigkill_leftover_is_swept_by_the_next_say(
    tiny_voice_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "long.txt").write_text(long_text(20_000))
    (tmp_path / ".notes.tmp").write_text("mine")
    proc = _say(tiny_voice_dir, "--text-file", "long.txt", "--sentence-silence", "5", "-o",
                "out.wav", cwd=tmp_path)  # fmt: skip
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size > 100_000 for p in tmp_path.glob(".out.wav.*.tmp")):
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "no output after 120 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    (left,) = tmp_path.glob(".out.wav.*.tmp")
    assert left.name == f".out.wav.{proc.pid}-{left.name.split('-')[-1]}"
    then = time.time() - GRACE_SECONDS - 5  # a minute later
    os.utime(left, (then, then))

    again = _say(tiny_voice_dir, "Hello.", "-o", "other.wav", cwd=tmp_path)
    assert again.wait(timeout=120) == 0, again.communicate()[1].decode()
    assert not left.exists() and not (tmp_path / "out.wav").exists()
    assert (tmp_path / "other.wav").is_file() and (tmp_path / ".notes.tmp").read_text() == "mine"
