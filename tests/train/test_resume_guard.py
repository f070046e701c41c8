"""Issue 18 item 1: re-running on a run folder resumes only the run it holds.

A command whose dataset, base voice, model, language or training settings differ from the run's
stops with every difference named, and leaves the run untouched; only ``max_steps`` and the
checkpoint/evaluation/log intervals may change on resume. ``max_steps`` below the steps already
trained says so instead of reporting "done".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from glowtts_cli.config import TrainConfig
from glowtts_cli.errors import TrainingError
from glowtts_cli.train.acoustic import finetune, train
from glowtts_cli.train.checkpoint import list_checkpoints
from glowtts_cli.train.runs import RunSpec
from tests.train.train_helpers import spoken_dataset

CPU = torch.device("cpu")
QUICK = TrainConfig(batch_size=2, checkpoint_every=1, eval_every=10**6)


@pytest.fixture(scope="module")
def datasets(tiny_voice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``good/`` (four clips spoken by the tiny voice) and ``other/``, a copy of it elsewhere."""
    root = tmp_path_factory.mktemp("resume_datasets")
    texts = ("A bird in the hand.", "She sells sea shells.", "Time flies.", "All that glitters.")
    spoken_dataset(root / "good", tiny_voice_dir, texts, prefix="c")
    shutil.copytree(root / "good", root / "other")
    return root


@pytest.fixture(scope="module")
def trained_run(datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A from-scratch ``tiny`` run of 2 steps on ``good/``."""
    run_dir = tmp_path_factory.mktemp("resume_run") / "run"
    result, _ = train(datasets / "good", run_dir, device=CPU, config="tiny", train_cfg=QUICK,
                      max_steps=2)  # fmt: skip
    assert result.step == 2
    return run_dir


def _untouched(run_dir: Path, before: str) -> None:
    assert (run_dir / "run.json").read_text() == before
    assert [p.name for p in list_checkpoints(run_dir)][-1] == "step_00000002.pt"


def test_issue_18_other_data_config_or_language_is_refused(
    trained_run: Path, datasets: Path
) -> None:
    before = (trained_run / "run.json").read_text()
    with pytest.raises(TrainingError) as info:
        train(datasets / "other", trained_run, device=CPU, config="tiny", max_steps=3)
    message = info.value.message
    assert "data_dir:" in message and str((datasets / "other").resolve()) in message
    assert "max_steps" in (info.value.hint or "")
    with pytest.raises(TrainingError) as info:
        train(datasets / "good", trained_run, device=CPU, config="small", language="fr-fr",
              add_blank=False, max_steps=3)  # fmt: skip
    message = info.value.message
    assert "model.decoder.hidden_channels: 32 in the run, 128 now" in message, message
    assert "more settings" in message and message.count("model.") == 3, message
    assert "language: en-us in the run, fr-fr now" in message
    assert "add_blank: True in the run, False now" in message
    with pytest.raises(TrainingError, match="batch_size: 2 in the run, 8 now"):
        train(datasets / "good", trained_run, device=CPU, config="tiny",
              train_cfg=TrainConfig(batch_size=8), max_steps=3)  # fmt: skip
    _untouched(trained_run, before)


def test_issue_18_another_kind_or_base_voice_is_refused(
    trained_run: Path, datasets: Path, tiny_voice_dir: Path
) -> None:
    before = (trained_run / "run.json").read_text()
    with pytest.raises(TrainingError) as info:
        finetune(datasets / "good", str(tiny_voice_dir), trained_run, device=CPU, max_steps=3)
    message = info.value.message
    assert "kind: train in the run, finetune now" in message
    assert f"base_voice: none in the run, {tiny_voice_dir} now" in message
    with pytest.raises(TrainingError, match="base_voice: none in the run"):
        train(datasets / "good", trained_run, device=CPU, config="tiny", max_steps=3,
              init_from=str(tiny_voice_dir))  # fmt: skip
    _untouched(trained_run, before)


def test_issue_18_steps_below_the_finished_step(trained_run: Path, datasets: Path) -> None:
    before = (trained_run / "run.json").read_text()
    with pytest.raises(TrainingError, match="already trained 2 steps, more than max_steps 1"):
        train(datasets / "good", trained_run, device=CPU, config="tiny", max_steps=1)
    _untouched(trained_run, before)


def test_resume_may_change_steps_and_intervals(datasets: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    train(datasets / "good", run_dir, device=CPU, config="tiny", train_cfg=QUICK, max_steps=1)
    asked = TrainConfig(batch_size=2, checkpoint_every=2, eval_every=10**6)
    result, _ = train(datasets / "good", run_dir, device=CPU, config="tiny", train_cfg=asked,
                      max_steps=3)  # fmt: skip
    spec = RunSpec.read(run_dir)
    assert result.step == 3 and spec is not None
    assert spec.train.max_steps == 3 and spec.train.checkpoint_every == 2
    # Settings left out are the run's: a plain re-run at the same step count is "done".
    again, _ = train(datasets / "good", run_dir, device=CPU, max_steps=3)
    assert again.step == 3


def test_out_that_is_a_file(datasets: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(TrainingError, match="Cannot create the run folder"):
        train(datasets / "good", tmp_path / "file", device=CPU, config="tiny", max_steps=1)


@pytest.mark.slow
def test_issue_18_cli_names_the_flags(trained_run: Path, datasets: Path) -> None:
    glowtts = shutil.which("glowtts")
    assert glowtts, "the glowtts command is not installed (pip install -e .)"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for data, flags, named in (("other", [], "DATA: "), ("good", ["--config", "small"],
                                                        "--config (model.")):  # fmt: skip
        result = subprocess.run(
            [glowtts, "train", str(datasets / data), "--out", str(trained_run), "--steps", "1",
             "--device", "cpu", *flags],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        err = result.stderr
        assert result.returncode == 1 and "Traceback" not in err, err
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines[-2].startswith("error: ") and lines[-1].startswith("hint: "), err
        assert named in lines[-2] and "only --steps" in lines[-1], err
