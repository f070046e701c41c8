"""Issue 18 item 10: temporary checkpoint files left by a run killed mid-save are removed by the
next save, and nothing else in the folder is touched."""

from __future__ import annotations

from pathlib import Path

import torch

from glowtts_cli.train.checkpoint import checkpoint_dir, list_checkpoints, save_checkpoint


def test_issue_18_stale_checkpoint_temporaries_are_swept(tmp_path: Path) -> None:
    folder = checkpoint_dir(tmp_path)
    folder.mkdir(parents=True)
    stale = [folder / ".step_00000004.pt.12345.tmp", folder / ".best.pt.0f3a.tmp"]
    kept = [folder / "notes.txt", folder / ".other.tmp"]
    for path in (*stale, *kept):
        path.write_bytes(b"x")
    state = {"model": {"w": torch.zeros(2)}, "step": 5}
    save_checkpoint(tmp_path, state, 5, keep_last=2, best=True)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000005.pt"]
    assert (folder / "best.pt").is_file()
