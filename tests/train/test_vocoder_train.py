"""Vocos vocoder training: steps change every weight, it learns, resumes exactly, exports a
folder that `--vocoder` loads, and the command works end to end (also under torchrun)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from glowtts_cli.config import AudioConfig, VocoderConfig, VocoderTrainConfig
from glowtts_cli.errors import CheckpointError, TrainingError
from glowtts_cli.train import vocoder as runs
from glowtts_cli.train.checkpoint import latest_checkpoint, load_checkpoint
from glowtts_cli.train.vocoder_loop import SegmentSampler
from glowtts_cli.vocoder import VocosGenerator, load_vocoder, load_vocoder_from_dir, load_vocos
from glowtts_cli.vocoder.weights import WEIGHTS_NAME

RATE = 22050


def _tone(seconds: float, seed: int) -> np.ndarray:
    """A voiced, syllable-modulated harmonic tone with faint noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(110.0 + 30.0 * np.sin(2 * np.pi * (0.5 + seed) * t)) / RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(8 * np.pi * t))
    wav = 0.5 * voiced / np.max(np.abs(voiced)) + 1e-3 * rng.standard_normal(t.size)
    return wav.astype(np.float32)


@pytest.fixture(scope="module")
def tone_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five 1.2 s clips in the LJSpeech layout (``metadata.csv`` + ``wavs/``)."""
    root = tmp_path_factory.mktemp("tones")
    (root / "wavs").mkdir()
    lines = []
    for i in range(5):
        sf.write(str(root / "wavs" / f"t{i}.wav"), _tone(1.2, i), RATE)
        lines.append(f"t{i}|A tone for the vocoder number {i}.")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def _config(max_steps: int, **changes: object) -> VocoderTrainConfig:
    small = {"max_steps": max_steps, "batch_size": 2, "segment_frames": 16, "warmup_steps": 2,
             "checkpoint_every": 2, "eval_every": 4, "log_every": 1, "eval_clips": 1}  # fmt: skip
    return dataclasses.replace(VocoderTrainConfig(**small), **changes)


def _trainer(data: Path, run_dir: Path, cfg: VocoderTrainConfig) -> runs.VocoderTrainer:
    spec = runs.plan_or_resume(run_dir, data, preset="tiny", train=cfg)
    spec = runs._resolve(run_dir, spec, cfg.max_steps)  # as `--steps` does
    prepared = runs.prepare(spec, run_dir, runs.VocoderCallbacks())
    torch.manual_seed(cfg.seed)
    trainer = runs.VocoderTrainer(
        run_dir=run_dir, spec=spec, generator=VocosGenerator(spec.vocos), prepared=prepared,
        device=torch.device("cpu"),
    )  # fmt: skip
    trainer.resume_if_possible()
    return trainer


def _parameters(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def test_steps_are_finite_and_change_every_parameter(tone_dataset: Path, tmp_path: Path) -> None:
    trainer = _trainer(tone_dataset, tmp_path / "run", _config(3))
    before = _parameters(trainer.generator)
    reports: list[runs.VocoderStepReport] = []
    assert trainer.run(runs.VocoderCallbacks(on_step=reports.append)) == 3
    assert [r.step for r in reports] == [1, 2, 3]
    assert all(np.isfinite(list(r.losses.values())).all() for r in reports)
    after = _parameters(trainer.generator)
    unchanged = [k for k in before if torch.equal(before[k], after[k])]
    assert not unchanged


def test_it_learns(tone_dataset: Path, tmp_path: Path) -> None:
    """Validation mel L1 after 60 steps is well below that of the random start."""
    trainer = _trainer(tone_dataset, tmp_path / "run", _config(60, learning_rate=3e-3))
    start = trainer.evaluate()
    trainer.run()
    end = trainer.evaluate()
    assert start is not None and end is not None
    assert end["mel"] < 0.6 * start["mel"], (start, end)


def test_stop_and_resume_equals_one_run(tone_dataset: Path, tmp_path: Path) -> None:
    one = _trainer(tone_dataset, tmp_path / "one", _config(6))
    one.run()
    first = _trainer(tone_dataset, tmp_path / "two", _config(3))
    first.run()
    second = _trainer(tone_dataset, tmp_path / "two", _config(6))
    assert second.step == 3
    second.run()
    a, b = _parameters(one.generator), _parameters(second.generator)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_export_loads_as_a_vocoder_strictly(tone_dataset: Path, tmp_path: Path) -> None:
    trainer = _trainer(tone_dataset, tmp_path / "run", _config(4))
    trainer.run()
    folder = runs.export(tmp_path / "run", which="last")
    loaded = load_vocoder_from_dir(folder)
    assert isinstance(loaded, VocosGenerator)
    mel = torch.randn(1, 80, 20)
    expected = trainer.generator.eval().vocode(mel)
    assert torch.equal(loaded.vocode(mel), expected)
    # A voice folder carrying the weights, as config.json's vocoder section describes them.
    voice_cfg = VocoderConfig(kind="vocos", source="voice", vocos=loaded.cfg)
    voice_dir = tmp_path / "voice"
    voice_dir.mkdir()
    shutil.copy(folder / WEIGHTS_NAME, voice_dir / WEIGHTS_NAME)
    in_voice = load_vocoder(voice_cfg, AudioConfig(), voice_dir)
    assert torch.equal(in_voice.vocode(mel), expected)
    by_path = load_vocoder(VocoderConfig(source=str(folder)), AudioConfig())
    assert torch.equal(by_path.vocode(mel), expected)
    bigger = dataclasses.replace(loaded.cfg, n_layers=3)
    with pytest.raises(CheckpointError, match=r"blocks\.2\."):
        load_vocos(folder / WEIGHTS_NAME, bigger)
    with pytest.raises(TrainingError, match="not a vocoder run folder") as raised:
        runs.export(tmp_path / "voice")
    assert "glowtts vocoder train" in (raised.value.hint or "")


def test_a_run_folder_belongs_to_its_data(tone_dataset: Path, tmp_path: Path) -> None:
    _trainer(tone_dataset, tmp_path / "run", _config(1)).run()
    other = tmp_path / "other"
    shutil.copytree(tone_dataset, other)
    with pytest.raises(TrainingError, match="already holds a vocoder run"):
        runs.plan_or_resume(tmp_path / "run", other, preset="tiny")
    with pytest.raises(TrainingError, match="no checkpoint"):
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / runs.RUN_FILE).write_text(
            runs.plan(tone_dataset, preset="tiny").to_json(), "utf-8"
        )
        runs.export(tmp_path / "empty")


def test_exclude_leaves_clips_out(tone_dataset: Path, tmp_path: Path) -> None:
    spec = runs.plan(tone_dataset, preset="tiny", exclude=["t0", "t3"], train=_config(1))
    prepared = runs.prepare(runs._resolve(tmp_path, spec, None), tmp_path, runs.VocoderCallbacks())
    ids = {u.id for u in (*prepared.train, *prepared.val)}
    assert ids == {"t1", "t2", "t4"}


def test_distillation_learns_the_teachers_audio_for_each_mel(
    tone_dataset: Path, tmp_path: Path
) -> None:
    """With ``teacher``, a seeded subset of clips is rendered once by the teacher (exactly its
    output for the clip's mel) and the segments pair each mel with that audio, not the clip's."""
    from glowtts_cli.train.teacher import TEACHER_DIR, load_teacher

    run_dir = tmp_path / "run"
    spec = runs.plan(tone_dataset, preset="tiny", train=_config(2), teacher="universal",
                     teacher_clips=2)  # fmt: skip
    spec = runs._resolve(run_dir, spec, None)
    assert runs.VocoderRunSpec.read(run_dir) == spec  # the teacher is part of run.json
    prepared = runs.prepare(spec, run_dir, runs.VocoderCallbacks())
    targets = runs.teacher_targets(spec, run_dir, prepared)
    assert targets is not None and len(targets.clips) == 2 and not targets.missing()
    assert len(list((run_dir / TEACHER_DIR).iterdir())) == 2
    teacher = load_teacher("universal", spec.audio)
    utt = targets.clips[0]
    _, mel = prepared.waveform(utt)
    with torch.inference_mode():
        expected = teacher.vocode(torch.from_numpy(mel)[None])[0].numpy()
    np.testing.assert_array_equal(targets.waveform(utt), expected)
    # A second prepare renders nothing again, and the same seed picks the same clips.
    stamp = targets.path(utt).stat().st_mtime_ns
    runs.prepare(spec, run_dir, runs.VocoderCallbacks())
    assert targets.path(utt).stat().st_mtime_ns == stamp
    assert runs.teacher_targets(spec, run_dir, prepared).clips == targets.clips  # type: ignore[union-attr]
    sampler = SegmentSampler(prepared, segment_frames=16, hop_length=256, targets=targets)
    assert {u.id for u in sampler.clips} <= {u.id for u in targets.clips}
    wav, mels = sampler.batch(0, seed=1, rank=0, size=4)
    for w, m in zip(wav.numpy(), mels.numpy(), strict=True):
        owner = [u for u in targets.clips if _contains(prepared.waveform(u)[1], m)]
        assert owner, "every segment's mel comes from a rendered clip"
        assert _contains(targets.waveform(owner[0])[None], w[None]), "paired with teacher audio"
    # The run trains on them, and a resume must ask for the same teacher.
    trainer = runs.VocoderTrainer(
        run_dir=run_dir, spec=spec, generator=VocosGenerator(spec.vocos), prepared=prepared,
        device=torch.device("cpu"), targets=targets,
    )  # fmt: skip
    assert trainer.run() == 2
    with pytest.raises(TrainingError, match="teacher 'universal', not 'none'"):
        runs.plan_or_resume(run_dir, tone_dataset, preset="tiny")
    assert runs.plan_or_resume(run_dir, tone_dataset, teacher="universal") == spec


def _contains(whole: np.ndarray, part: np.ndarray) -> bool:
    """Whether ``part [C, n]`` is a contiguous slice of ``whole [C, N]`` along the last axis."""
    n = part.shape[-1]
    return any(np.array_equal(whole[..., i : i + n], part) for i in range(whole.shape[-1] - n + 1))


def _glowtts(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glowtts_cli", *args], capture_output=True, text=True,
        timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip


@pytest.mark.slow
def test_cli_train_resume_export_and_say(
    tone_dataset: Path, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    base = ["vocoder", "train", str(tone_dataset), "--out", str(run_dir), "--config", "tiny",
            "--batch-size", "2", "--threads", "1"]  # fmt: skip
    first = _glowtts(*base, "--steps", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    again = _glowtts(*base, "--steps", "3")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resumed at step 2" in again.stderr
    path = latest_checkpoint(run_dir)
    assert path is not None and load_checkpoint(path)["step"] == 3
    exported = _glowtts("vocoder", "export", str(run_dir), "--out", str(tmp_path / "voc"))
    assert exported.returncode == 0, exported.stderr[-2000:]
    wav = tmp_path / "x.wav"
    said = _glowtts("say", "Hello.", "--voice", str(tiny_voice_dir), "--vocoder",
                    str(tmp_path / "voc"), "--out", str(wav))  # fmt: skip
    assert said.returncode == 0, said.stderr[-2000:]
    assert sf.info(str(wav)).frames > 0


@pytest.mark.slow
def test_torchrun_two_processes(tone_dataset: Path, tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun")
    assert torchrun, "torchrun comes with torch"
    run_dir = tmp_path / "ddp"
    result = subprocess.run(
        [torchrun, "--standalone", "--nproc-per-node", "2", "-m", "glowtts_cli", "vocoder",
         "train", str(tone_dataset), "--out", str(run_dir), "--config", "tiny", "--steps", "2",
         "--batch-size", "2", "--device", "cpu", "--threads", "1"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    path = latest_checkpoint(run_dir)
    assert path is not None and load_checkpoint(path)["step"] == 2
    assert isinstance(load_vocoder_from_dir(run_dir / runs.VOCODER_DIR), VocosGenerator)
