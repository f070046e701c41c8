"""Training steps: every parameter learns, losses stay finite, non-finite steps are skipped."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from glowtts_cli.data.dataset import TextMelDataset, collate
from glowtts_cli.errors import TrainingError
from glowtts_cli.model.flows import ActNorm
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.train.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from glowtts_cli.train.loop import StepReport
from tests.train.train_helpers import (
    assert_same_parameters,
    make_trainer,
    parameters,
    quiet,
    tone_dataset,
)
from tests.train.train_synthetic import write_prepared


def test_every_parameter_changes_in_three_steps(tmp_path: Path) -> None:
    prepared = tone_dataset(tmp_path, 4)
    trainer = make_trainer(tmp_path, prepared, quiet(max_steps=3, ddi=False))
    before = parameters(trainer.raw)
    reports: list[StepReport] = []
    result = trainer.run(reports.append)
    assert result.step == 3 and [r.step for r in reports] == [1, 2, 3]
    assert all(not r.skipped and math.isfinite(r.loss) for r in reports)
    assert all(math.isfinite(v) for v in result.last_losses.values())
    after = parameters(trainer.raw)
    trainable = {n for n, p in trainer.raw.named_parameters() if p.requires_grad}
    assert trainable == set(before)
    unchanged = [n for n in trainable if torch.equal(before[n], after[n])]
    assert not unchanged, f"not trained: {unchanged}"


def test_data_dependent_init_runs_once_on_the_first_batch(tmp_path: Path) -> None:
    prepared = tone_dataset(tmp_path, 4)
    trainer = make_trainer(tmp_path, prepared, quiet(max_steps=2, learning_rate=1e-12))
    first, second = (collate([trainer.train_set[i] for i in b]) for b in trainer.sampler.batches(0))
    expected = {}
    for batch in (first, second):
        model = GlowTTS(trainer.raw.cfg)
        model.load_state_dict(trainer.raw.state_dict())
        model.set_ddi(True)
        with torch.no_grad():
            model(batch.x, batch.x_lengths, batch.y, batch.y_lengths)
        expected[batch.ids] = parameters(model)
    trainer.run()
    # Adam moves each parameter by about the learning rate (1e-12) per step.
    trained = parameters(trainer.raw)
    actnorms = [
        f"{module}.{p}"
        for module, m in trainer.raw.named_modules()
        if isinstance(m, ActNorm)
        for p in ("logs", "bias")
    ]
    assert actnorms
    for name in actnorms:
        torch.testing.assert_close(trained[name], expected[first.ids][name], rtol=0, atol=1e-9)
        assert not torch.allclose(trained[name], expected[second.ids][name], atol=1e-6), name


def _nan_clip_dataset(run_dir: Path, n: int, bad: set[int]) -> TextMelDataset:
    """Tone clips with NaN mels at positions ``bad`` (a broken feature file)."""
    prepared = tone_dataset(run_dir / "good", n)
    clips = list(TextMelDataset(prepared))
    for i in bad:
        clips[i] = clips[i]._replace(y=torch.full_like(clips[i].y, math.nan))
    return TextMelDataset(write_prepared(run_dir / "bad", clips))


def test_a_non_finite_step_is_skipped_and_changes_nothing(tmp_path: Path) -> None:
    data = _nan_clip_dataset(tmp_path, 4, bad={1})
    trainer = make_trainer(
        tmp_path / "run", data.prepared, quiet(max_steps=6, batch_size=1, ddi=False)
    )
    snapshots = [parameters(trainer.raw)]
    adam_steps: list[int] = []
    reports: list[StepReport] = []

    def on_step(report: StepReport) -> None:
        reports.append(report)
        snapshots.append(parameters(trainer.raw))
        state = trainer.optimizer.state_dict()["state"]
        adam_steps.append(int(state[0]["step"]) if state else 0)

    result = trainer.run(on_step)
    skipped = [i for i, r in enumerate(reports) if r.skipped]
    assert skipped, "the NaN clip was never met"
    assert result.step == 6 and len(reports) == 6 + len(skipped)
    for i, report in enumerate(reports):
        if report.skipped:
            assert not math.isfinite(report.loss)
            assert_same_parameters(snapshots[i], snapshots[i + 1])
            assert adam_steps[i] == (adam_steps[i - 1] if i else 0)
        else:
            assert math.isfinite(report.loss)
            assert not torch.equal(
                snapshots[i]["encoder.emb.weight"], snapshots[i + 1]["encoder.emb.weight"]
            )
    assert all(torch.isfinite(p).all() for p in snapshots[-1].values())


def test_repeated_non_finite_losses_stop_and_keep_the_last_good_checkpoint(tmp_path: Path) -> None:
    good = tone_dataset(tmp_path / "good", 4)
    run_dir = tmp_path / "run"
    first = make_trainer(run_dir, good, quiet(max_steps=2, ddi=False, checkpoint_every=1))
    first.run()
    good_params = parameters(first.raw)
    saved = latest_checkpoint(run_dir)
    assert saved is not None and saved.name == "step_00000002.pt"
    saved_bytes, kept = saved.read_bytes(), list_checkpoints(run_dir)
    # The same clips (lengths, so the data order resumes) now all hold NaN mels.
    clips = [s._replace(y=torch.full_like(s.y, math.nan)) for s in TextMelDataset(good)]
    broken = write_prepared(tmp_path / "broken", clips)
    second = make_trainer(
        run_dir, broken, quiet(max_steps=10, ddi=False, checkpoint_every=1, max_bad_steps=3)
    )
    assert second.resume_if_possible() and second.step == 2
    reports: list[StepReport] = []
    with pytest.raises(TrainingError) as caught:
        second.run(reports.append)
    assert [r.skipped for r in reports] == [True, True, True]
    assert str(saved) in caught.value.message and caught.value.hint
    assert list_checkpoints(run_dir) == kept and saved.read_bytes() == saved_bytes
    state = load_checkpoint(saved)
    assert state["step"] == 2
    assert_same_parameters({n: state["model"][n] for n in good_params}, good_params)
    assert all(np.isfinite(t.numpy()).all() for t in state["model"].values())


def test_clips_with_fewer_frames_than_tokens_are_left_out(tmp_path: Path) -> None:
    clips = list(TextMelDataset(tone_dataset(tmp_path / "good", 4)))
    # 5 frames for a clip of more than 5 tokens; 7 frames (6 after the n_sqz trim) for 7 tokens.
    short = [
        clips[0]._replace(id="short", x=torch.arange(1, 7), y=clips[0].y[:, :5]),
        clips[1]._replace(id="odd", x=torch.tensor([1, 2, 1, 2, 1, 2, 1]), y=clips[1].y[:, :7]),
    ]
    prepared = write_prepared(tmp_path / "mixed", clips[2:] + short, clips[:1])
    trainer = make_trainer(tmp_path / "run", prepared, quiet(max_steps=2))
    assert trainer.too_short == ("short", "odd")
    assert [u.id for u in trainer.train_set.utterances] == [c.id for c in clips[2:]]
    assert trainer.run().step == 2
    only_short = write_prepared(tmp_path / "short", short)
    with pytest.raises(TrainingError, match="2 have fewer mel frames than tokens") as caught:
        make_trainer(tmp_path / "run2", only_short, quiet(max_steps=2))
    assert caught.value.hint
