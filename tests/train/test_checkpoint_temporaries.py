"""Issue 18 item 10: temporary checkpoint files left by a run killed mid-save (``kill -9``) are
removed by a later save once their process is gone, and nothing else in the folder is touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from glowtts_cli.files import GRACE_SECONDS
from glowtts_cli.train.checkpoint import checkpoint_dir, list_checkpoints, save_checkpoint

_KILLED_MID_SAVE = """
import os, signal, sys
from glowtts_cli.files import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half a checkpoint")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_issue_18_stale_checkpoint_temporaries_are_swept(tmp_path: Path) -> None:
    folder = checkpoint_dir(tmp_path)
    folder.mkdir(parents=True)
    killed = subprocess.run([sys.executable, "-c", _KILLED_MID_SAVE,
                             str(folder / "step_00000004.pt")])  # fmt: skip
    assert killed.returncode == -9
    (left,) = folder.glob(".step_00000004.pt.*.tmp")
    dead = _dead_pid()
    old_style = folder / f".best.pt.{dead}.tmp"  # an earlier version's name: pid only
    live = folder / f".step_00000003.pt.{os.getpid()}-{'a' * 32}.tmp"  # a writer still running
    kept = [folder / "notes.txt", folder / ".other.tmp", folder / f".x.{dead}.tmp", live]
    for path in (old_style, *kept):
        path.write_bytes(b"x")
    for path in (left, old_style, *kept):
        _age(path, GRACE_SECONDS + 5)
    fresh = folder / f".step_00000002.pt.{dead}-{'b' * 32}.tmp"  # its process may be elsewhere
    fresh.write_bytes(b"x")
    kept.append(fresh)

    state = {"model": {"w": torch.zeros(2)}, "step": 5}
    save_checkpoint(tmp_path, state, 5, keep_last=2, best=True)
    assert not left.exists() and not old_style.exists()
    assert all(p.exists() for p in kept)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000005.pt"]
    assert (folder / "best.pt").is_file()
