"""Resuming: a run stopped after k steps and continued equals one uninterrupted run, exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from glowtts_cli.errors import CheckpointError
from glowtts_cli.train import checkpoint
from glowtts_cli.train.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from glowtts_cli.train.loop import StepReport, Trainer
from tests.train.train_helpers import (
    assert_same_parameters,
    make_trainer,
    parameters,
    resume_config,
    resume_dataset,
    small_model,
)

WORKER = Path(__file__).with_name("train_worker.py")


def _trainer(run_dir: Path, max_steps: int) -> Trainer:
    """The resume tests' run (dropout on, so restoring the random state matters)."""
    return make_trainer(
        run_dir, resume_dataset(run_dir), resume_config(max_steps), model=small_model(dropout=0.1)
    )


def _uninterrupted(run_dir: Path, max_steps: int) -> tuple[Trainer, list[StepReport]]:
    trainer = _trainer(run_dir, max_steps)
    reports: list[StepReport] = []
    trainer.run(reports.append)
    return trainer, reports


def _assert_same_optimizer(a: Trainer, b: Trainer) -> None:
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    for key in sa["state"]:
        for name, value in sa["state"][key].items():
            assert torch.equal(value, sb["state"][key][name]), (key, name)


@pytest.mark.parametrize("k", [3, 4], ids=["at-epoch-end", "mid-epoch"])
def test_stop_and_resume_equals_one_run(tmp_path: Path, k: int) -> None:
    reference, reference_reports = _uninterrupted(tmp_path / "one", 2 * k)

    first = _trainer(tmp_path / "two", k)
    first.run()
    assert first.step == k and latest_checkpoint(tmp_path / "two") is not None
    second = _trainer(tmp_path / "two", 2 * k)
    assert second.resume_if_possible() and second.step == k
    reports: list[StepReport] = []
    result = second.run(reports.append)

    assert result.step == 2 * k
    assert [r.loss for r in reports] == [r.loss for r in reference_reports[k:]]
    assert_same_parameters(parameters(second.raw), parameters(reference.raw))
    _assert_same_optimizer(second, reference)
    assert second.scheduler.state_dict() == reference.scheduler.state_dict()
    assert second.best_val == reference.best_val


def test_resume_at_the_end_does_nothing_more(tmp_path: Path) -> None:
    done, _ = _uninterrupted(tmp_path, 3)
    again = _trainer(tmp_path, 3)
    assert again.resume_if_possible()
    reports: list[StepReport] = []
    result = again.run(reports.append)
    assert result.step == 3 and not reports
    assert_same_parameters(parameters(again.raw), parameters(done.raw))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_saves_then_the_run_resumes_exactly(tmp_path: Path, sig: int) -> None:
    total, signal_after = 8, 2
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(run_dir), str(total), "--pause", "0.3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(WORKER.parents[2])},
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line.strip())
            if line.strip() == f"step {signal_after}":
                proc.send_signal(sig)
                break
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, f"{seen} {out} {err}"
    assert "Traceback" not in err, err
    saved = latest_checkpoint(run_dir)
    assert saved is not None
    stopped_at = int(load_checkpoint(saved)["step"])
    assert signal_after <= stopped_at < total, (stopped_at, out)
    assert f"interrupted at step {stopped_at}" in out

    resumed = _trainer(run_dir, total)
    assert resumed.resume_if_possible() and resumed.step == stopped_at
    resumed.run()
    reference, _ = _uninterrupted(tmp_path / "reference", total)
    assert_same_parameters(parameters(resumed.raw), parameters(reference.raw))
    _assert_same_optimizer(resumed, reference)


def _failing_save(written: list[Path]) -> Any:
    """A ``torch.save`` that writes half a file, then fails as a full disk would."""

    def save(obj: object, path: Any) -> None:
        Path(path).write_bytes(b"PK\x03\x04 half a checkpoint")
        written.append(Path(path))
        raise OSError(28, "No space left on device")

    return save


def test_a_crash_while_saving_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainer = _trainer(tmp_path, 3)
    trainer.run()
    trained = parameters(trainer.raw)
    before = list_checkpoints(tmp_path)
    good = before[-1]
    good_bytes = good.read_bytes()
    written: list[Path] = []
    monkeypatch.setattr(checkpoint.torch, "save", _failing_save(written))
    trainer.step = 4
    with pytest.raises(CheckpointError) as caught:
        trainer._save(0, best=True)
    assert "No space left" in caught.value.message and caught.value.hint
    assert written and all(not p.exists() for p in written), "half-written file left behind"
    assert list_checkpoints(tmp_path) == before
    assert good.read_bytes() == good_bytes
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    resumed = _trainer(tmp_path, 3)
    assert resumed.resume_if_possible() and resumed.step == 3
    assert_same_parameters(parameters(resumed.raw), trained)


def test_a_damaged_checkpoint_is_reported_clearly(tmp_path: Path) -> None:
    _uninterrupted(tmp_path, 3)
    saved = latest_checkpoint(tmp_path)
    assert saved is not None
    saved.write_bytes(saved.read_bytes()[:100])
    with pytest.raises(CheckpointError) as caught:
        _trainer(tmp_path, 3).resume_if_possible()
    assert str(saved) in caught.value.message and caught.value.hint
