"""End to end: ``finetune``/``train``/``export`` on a tiny dataset of real audio, then speech.

The dataset's clips are spoken by the tiny random test voice (slowed down, so that every clip
has more mel frames than tokens even with the blank token) and stored in the LJSpeech layout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from typer.testing import CliRunner

from glowtts_cli.api import Voice, speak
from glowtts_cli.cli import app
from glowtts_cli.config import TrainConfig
from glowtts_cli.errors import ConfigError, TrainingError
from glowtts_cli.train.acoustic import Callbacks, finetune, train
from glowtts_cli.train.checkpoint import (
    BEST_NAME,
    checkpoint_dir,
    latest_checkpoint,
    load_checkpoint,
)
from glowtts_cli.train.export import export
from glowtts_cli.voice_folder import local_path_leaks, read_voice_config
from tests.train.train_helpers import spoken_dataset

TEXTS = (
    "The quick brown fox.",
    "A bird in the hand.",
    "She sells sea shells.",
    "Every cloud has a lining.",
    "Time flies like an arrow.",
    "All that glitters.",
)
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny_dataset(tiny_voice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six clips spoken by the tiny voice, ``metadata.csv`` + ``wavs/``."""
    return spoken_dataset(tmp_path_factory.mktemp("tiny_dataset"), tiny_voice_dir, TEXTS,
                          prefix="clip")  # fmt: skip


def _model_state(run_dir: Path) -> dict[str, torch.Tensor]:
    path = latest_checkpoint(run_dir)
    assert path is not None
    return dict(load_checkpoint(path)["model"])


def _assert_speaks(voice_dir: Path) -> None:
    audio = speak("Hello there.", Voice.load(voice_dir, device="cpu"), seed=0)
    assert audio.sample_rate == 22050 and audio.samples.dtype == np.float32
    assert audio.duration > 0.05 and np.isfinite(audio.samples).all()


def test_finetune_stop_and_resume_equals_one_run(
    tiny_dataset: Path, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    cfg = TrainConfig.finetune(batch_size=2, checkpoint_every=1)
    stages: list[str] = []
    calls = Callbacks(on_stage=stages.append)
    first, _ = finetune(
        tiny_dataset, str(tiny_voice_dir), tmp_path / "a", device=CPU, train_cfg=cfg, max_steps=2,
        allow_little_data=True,  # a few seconds of audio: below the floor, on purpose
    )  # fmt: skip
    assert first.step == 2
    resumed, voice_dir = finetune(
        tiny_dataset, str(tiny_voice_dir), tmp_path / "a", device=CPU, max_steps=4, calls=calls
    )
    assert resumed.step == 4 and "resumed at step 2" in stages
    finetune(
        tiny_dataset, str(tiny_voice_dir), tmp_path / "b", device=CPU, train_cfg=cfg, max_steps=4,
        allow_little_data=True,
    )  # fmt: skip
    a, b = _model_state(tmp_path / "a"), _model_state(tmp_path / "b")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    assert voice_dir == tmp_path / "a" / "voice"
    voice = read_voice_config(voice_dir)
    # The export is the best held-out checkpoint: the base weights (step 0) or a later one.
    assert voice.training.steps == resumed.best_step
    # The card names folders, never their paths (a push would publish them).
    assert voice.training.base_voice == tiny_voice_dir.name
    assert voice.training.dataset == tiny_dataset.name
    assert local_path_leaks(voice_dir) == []
    assert voice.text == read_voice_config(tiny_voice_dir).text
    _assert_speaks(voice_dir)


def test_train_from_scratch_evaluates_and_exports(tiny_dataset: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    cfg = TrainConfig(batch_size=2, eval_every=2, log_every=1)
    result, voice_dir = train(tiny_dataset, run_dir, device=CPU, config="tiny", train_cfg=cfg,
                              max_steps=3)  # fmt: skip
    assert result.step == 3 and result.best_val_loss is not None
    assert voice_dir is not None and (checkpoint_dir(run_dir) / BEST_NAME).is_file()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert {r["split"] for r in rows} == {"train", "val"}
    assert [r["step"] for r in rows if r["split"] == "train"] == [1, 2, 3]
    # Scored at step 2 and, at the end, step 3: the export is the better of the two.
    assert [s for s, _ in result.val_history] == [2, 3]
    best = read_voice_config(voice_dir)
    assert best.training.steps == result.best_step and best.text.add_blank
    last_dir = export(run_dir, tmp_path / "last", which="last")
    assert read_voice_config(last_dir).training.steps == 3
    _assert_speaks(last_dir)
    # `glowtts export --onnx` puts the graph in the voice folder, where `--engine onnx` runs it.
    onnx_dir = tmp_path / "onnx"
    done = CliRunner().invoke(app, ["export", str(run_dir), "--out", str(onnx_dir), "--onnx"])
    assert done.exit_code == 0, done.output
    from glowtts_cli.api import SynthesisOptions

    flat = SynthesisOptions(noise_scale=0.0)
    torch_audio = Voice.load(onnx_dir, engine="torch", threads=1).synthesize("Hi there.", flat)
    graph = Voice.load(onnx_dir, engine="onnx", threads=1)
    assert graph.graph is not None and graph.model is None
    onnx_audio = graph.synthesize("Hi there.", flat)
    assert json.loads((onnx_dir / "model.onnx.json").read_text())["audio"]["sample_rate"] > 0
    np.testing.assert_allclose(onnx_audio.samples, torch_audio.samples, atol=2e-5, rtol=0)


def test_train_init_from_a_voice_starts_from_its_weights(
    tiny_dataset: Path, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    """A new ``train`` run with ``init_from`` continues the voice: its model and symbols, its
    weights as the starting point (no DDI), the Noam schedule; re-running resumes it."""
    from glowtts_cli.train.runs import RunSpec
    from glowtts_cli.voice_folder import load_model_state

    run_dir = tmp_path / "run"
    cfg = TrainConfig(batch_size=2, checkpoint_every=1)
    train(tiny_dataset, run_dir, device=CPU, train_cfg=cfg, max_steps=1,
          init_from=str(tiny_voice_dir))  # fmt: skip
    spec = RunSpec.read(run_dir)
    base = read_voice_config(tiny_voice_dir)
    assert spec is not None and spec.kind == "train" and spec.base_voice == str(tiny_voice_dir)
    assert spec.voice.model == base.model and spec.voice.text == base.text
    assert spec.train.scheduler == "noam" and not spec.train.ddi
    assert spec.train.schedule_offset == base.training.steps
    # One Noam step barely moves the weights: they stay the voice's.
    start = load_model_state(tiny_voice_dir)["encoder.emb.weight"].float()
    trained = _model_state(run_dir)["encoder.emb.weight"]
    assert torch.allclose(trained, start, atol=1e-3) and not torch.equal(trained, start)
    stages: list[str] = []
    result, _ = train(tiny_dataset, run_dir, device=CPU, max_steps=2,
                      calls=Callbacks(on_stage=stages.append))  # fmt: skip
    assert result.step == 2 and "resumed at step 1" in stages


def test_export_errors_are_clear(tiny_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="not a training run folder"):
        export(tmp_path)
    run_dir = tmp_path / "run"
    train(tiny_dataset, run_dir, device=CPU, config="tiny",
          train_cfg=TrainConfig(batch_size=2, max_steps=1))  # fmt: skip
    with pytest.raises(ConfigError, match="Unknown checkpoint choice"):
        export(run_dir, which="newest")
    shutil.rmtree(checkpoint_dir(run_dir))
    with pytest.raises(TrainingError, match="no checkpoint"):
        export(run_dir)


@pytest.mark.slow
def test_cli_finetune_then_say(tiny_dataset: Path, tiny_voice_dir: Path, tmp_path: Path) -> None:
    glowtts = shutil.which("glowtts")
    assert glowtts, "the glowtts command is not installed (pip install -e .)"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run_dir = tmp_path / "run"
    tuned = subprocess.run(
        [glowtts, "finetune", str(tiny_dataset), "--from", str(tiny_voice_dir), "--out",
         str(run_dir), "--steps", "3", "--batch-size", "2", "--device", "cpu",
         "--allow-little-data"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert tuned.returncode == 0, tuned.stderr
    assert str(run_dir / "voice") in tuned.stderr.replace("\n", "")
    out = tmp_path / "x.wav"
    said = subprocess.run(
        [glowtts, "say", "hello", "--voice", str(run_dir / "voice"), "-o", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert said.returncode == 0, said.stderr
    data, rate = sf.read(out)
    assert rate == 22050 and data.ndim == 1 and len(data) > 1000
    assert np.isfinite(data).all() and np.abs(data).max() > 0


@pytest.mark.slow
def test_torchrun_two_processes_train_and_export(tiny_dataset: Path, tmp_path: Path) -> None:
    """The same command under torchrun (2 CPU processes, gloo): rank 0 alone prepares the run,
    both train, one checkpoint (and the best one) and one voice are written."""
    torchrun = shutil.which("torchrun")
    assert torchrun, "torchrun comes with torch"
    run_dir = tmp_path / "ddp"
    result = subprocess.run(
        [torchrun, "--standalone", "--nproc-per-node", "2", "-m", "glowtts_cli", "train",
         str(tiny_dataset), "--out", str(run_dir), "--config", "tiny", "--steps", "2",
         "--batch-size", "2", "--device", "cpu", "--threads", "1"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # One resumable checkpoint and the best (scored) one: rank 1 writes none of its own.
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert names == ["best.pt", "step_00000002.pt"]
    assert load_checkpoint(run_dir / "checkpoints" / "step_00000002.pt")["step"] == 2
    assert read_voice_config(run_dir / "voice").model.n_vocab > 0
