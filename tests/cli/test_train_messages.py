"""Issue 18 item 11: an interrupted training run says which checkpoint holds its work."""

from __future__ import annotations

from pathlib import Path

import pytest

from glowtts_cli.cli.train import _resume_note


def test_issue_18_interrupt_names_the_saved_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "checkpoints").mkdir()
    for step in (5, 7):
        (tmp_path / "checkpoints" / f"step_{step:08d}.pt").write_bytes(b"x")
    with pytest.raises(KeyboardInterrupt), _resume_note(tmp_path):
        raise KeyboardInterrupt
    err = " ".join(capsys.readouterr().err.split())
    assert f"saved {tmp_path / 'checkpoints' / 'step_00000007.pt'}" in err
    assert "resume from step 7" in err


def test_nothing_saved_yet_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(KeyboardInterrupt), _resume_note(tmp_path):
        raise KeyboardInterrupt
    assert capsys.readouterr().err == ""
