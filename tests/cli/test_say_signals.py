"""Issue 18 items 9 and 10: ``say`` reads bounded text, and SIGTERM/SIGHUP act as Ctrl-C does.

The installed command in a subprocess: killed by SIGTERM or SIGHUP while writing, it exits 130
with one line and leaves neither the output nor its temporary file.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from glowtts_cli.cli.textinput import MAX_TEXT_BYTES, read_text
from glowtts_cli.errors import TextError
from tests.textgen import long_text

GLOWTTS = shutil.which("glowtts") or ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_issue_18_term_and_hup_leave_no_file(
    signum: int, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    text = tmp_path / "long.txt"
    text.write_text(long_text(20_000))
    proc = subprocess.Popen(
        [GLOWTTS, "say", "--voice", str(tiny_voice_dir), "--threads", "1", "--text-file",
         str(text), "--sentence-silence", "5", "-o", "out.wav"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size > 100_000 for p in tmp_path.glob(".out.wav.*.tmp")):
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "no output after 120 s"
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err_bytes = proc.communicate(timeout=120)
    err = err_bytes.decode()
    assert proc.returncode == 130, err
    assert [line for line in err.splitlines() if line.strip()] == ["interrupted"], err
    assert not (tmp_path / "out.wav").exists()
    assert not list(tmp_path.glob(".*.tmp")), "temporary file left behind"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/zero", "is not a regular file"),
        ("{tmp}", "is a folder"),
        ("{tmp}/missing.txt", "cannot be read: No such file"),
    ],
)
def test_issue_18_text_file_must_be_a_file(path: str, message: str, tmp_path: Path) -> None:
    if path == "/dev/zero" and not Path(path).exists():
        pytest.skip("no /dev/zero")
    with pytest.raises(TextError, match=message):
        read_text(None, Path(path.format(tmp=tmp_path)))


def test_issue_18_text_is_capped(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_TEXT_BYTES + 1)  # sparse: no disk used
    with pytest.raises(TextError, match="more than 16 MiB"):
        read_text(None, big)
    stdin = io.BytesIO(b"a" * (MAX_TEXT_BYTES + 1))
    with pytest.raises(TextError, match="standard input holds more than 16 MiB"):
        read_text("-", None, stdin=stdin)
    if hasattr(os, "mkfifo"):  # a pipe is fine (`--text-file <(cmd)`)
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        writer = subprocess.Popen(["sh", "-c", f"printf 'Hello there.' > '{fifo}'"])
        assert read_text(None, fifo) == "Hello there."
        writer.wait(timeout=10)
