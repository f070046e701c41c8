"""``glowtts vocoder train``: train (or fine-tune) a Vocos vocoder on a dataset's own audio.

A run folder holds ``run.json`` (what is trained), ``prepared/`` (cleaned audio and mels, the
same preparation as acoustic training, so the vocoder sees the levels the acoustic model's mels
have), ``checkpoints/`` (atomic, the last few and the best), ``metrics.jsonl`` / TensorBoard and,
at the end, ``vocoder/``. Re-running the same command resumes exactly where the last checkpoint
left off (the loop is :mod:`glowtts_cli.train.vocoder_loop`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from glowtts_cli.config import AudioConfig, VocoderTrainConfig, VocosConfig, from_dict, to_dict
from glowtts_cli.data.prepare import PreparedDataset, PrepareOptions, prepare_dataset
from glowtts_cli.data.validate import check_dataset
from glowtts_cli.errors import CheckpointError, TrainingError
from glowtts_cli.files import atomic_write_bytes
from glowtts_cli.train import distributed
from glowtts_cli.train.checkpoint import (
    BEST_NAME,
    checkpoint_dir,
    latest_checkpoint,
    load_checkpoint,
)
from glowtts_cli.train.teacher import TeacherTargets, load_teacher, select_clips
from glowtts_cli.train.vocoder_loop import (
    RUN_KIND,
    VocoderCallbacks,
    VocoderStepReport,
    VocoderTrainer,
)
from glowtts_cli.vocoder.bundled import BUNDLED
from glowtts_cli.vocoder.vocos import VocosGenerator
from glowtts_cli.vocoder.weights import load_vocoder_from_dir, save_vocos

__all__ = ["VocoderCallbacks", "VocoderRunSpec", "VocoderStepReport", "VocoderTrainer"]

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
VOCODER_DIR = "vocoder"


@dataclass(frozen=True)
class VocoderRunSpec:
    """What a vocoder run folder trains; written once, read on every resume."""

    data_dir: str
    """The dataset folder."""
    audio: AudioConfig
    """Audio and mel settings (the voices this vocoder will serve must use the same)."""
    vocos: VocosConfig
    """The architecture."""
    train: VocoderTrainConfig
    """Optimisation settings."""
    exclude: tuple[str, ...] = ()
    """Utterance ids left out of training (e.g. a held-out test set)."""
    base_vocoder: str = ""
    """The vocoder folder fine-tuned from ('' = random start)."""
    teacher: str = ""
    """Distillation: the vocoder whose output for each clip's mel is the target (a bundled name
    such as ``universal``, or a vocoder folder); '' learns the recordings themselves."""
    teacher_clips: int = 0
    """Training clips the teacher renders (a seeded subset; 0 = all of them)."""

    def to_json(self) -> str:
        """Serialised form (``run.json``)."""
        data = {"kind": RUN_KIND, "data_dir": self.data_dir, "audio": to_dict(self.audio),
                "vocos": to_dict(self.vocos), "train": to_dict(self.train),
                "exclude": list(self.exclude), "base_vocoder": self.base_vocoder,
                "teacher": self.teacher, "teacher_clips": self.teacher_clips}  # fmt: skip
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, run_dir: Path) -> VocoderRunSpec | None:
        """The spec of an existing run folder, or None for a new one."""
        path = run_dir / RUN_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text("utf-8"))
        if data.get("kind") != RUN_KIND:
            raise TrainingError(
                f"{run_dir} holds a {data.get('kind', 'unknown')} run, not a vocoder run.",
                hint="Choose another --out folder for the vocoder.",
            )
        return cls(
            data_dir=data["data_dir"],
            audio=from_dict(AudioConfig, data["audio"], where=f"{path}:audio"),
            vocos=from_dict(VocosConfig, data["vocos"], where=f"{path}:vocos"),
            train=from_dict(VocoderTrainConfig, data["train"], where=f"{path}:train"),
            exclude=tuple(data.get("exclude", ())),
            base_vocoder=data.get("base_vocoder", ""),
            teacher=data.get("teacher", ""),
            teacher_clips=int(data.get("teacher_clips", 0)),
        )


def plan(
    data_dir: Path,
    *,
    preset: str = "small",
    base_vocoder: str | None = None,
    train: VocoderTrainConfig | None = None,
    exclude: Sequence[str] = (),
    audio: AudioConfig | None = None,
    teacher: str | None = None,
    teacher_clips: int = 0,
) -> VocoderRunSpec:
    """A new run: a preset for ``audio`` (default 22.05 kHz / 80 mels), or ``base_vocoder``'s own
    architecture and audio settings when fine-tuning."""
    audio = audio or AudioConfig()
    vocos = VocosConfig.preset(preset, audio)
    if base_vocoder:
        base = _load_base(base_vocoder)
        vocos = base.cfg
        audio = dataclasses.replace(
            audio, n_mels=vocos.n_mels, n_fft=vocos.n_fft, hop_length=vocos.hop_length,
            win_length=vocos.win_length,
        )  # fmt: skip
    return VocoderRunSpec(
        data_dir=str(data_dir.resolve()), audio=audio, vocos=vocos,
        train=train or VocoderTrainConfig(), exclude=tuple(exclude),
        base_vocoder=str(Path(base_vocoder).resolve()) if base_vocoder else "",
        teacher=_teacher_source(teacher), teacher_clips=teacher_clips if teacher else 0,
    )  # fmt: skip


def _teacher_source(teacher: str | None) -> str:
    """A bundled teacher's name as given, a folder as its absolute path; '' for none."""
    if not teacher:
        return ""
    return teacher if teacher in BUNDLED else str(Path(teacher).expanduser().resolve())


def plan_or_resume(run_dir: Path, data_dir: Path, **plan_args: Any) -> VocoderRunSpec:
    """The run folder's own spec (a resume: it must be on the same data), else :func:`plan`."""
    existing = VocoderRunSpec.read(run_dir)
    if existing is None:
        return plan(data_dir, **plan_args)
    if Path(existing.data_dir) != data_dir.resolve():
        raise TrainingError(
            f"{run_dir} already holds a vocoder run on {existing.data_dir}.",
            hint="Choose another --out folder, or run the same command again to resume it.",
        )
    wanted = plan_args.get("teacher") or ""
    if _teacher_source(wanted) != existing.teacher:
        raise TrainingError(
            f"{run_dir} already holds a vocoder run with teacher "
            f"'{existing.teacher or 'none'}', not '{wanted or 'none'}'.",
            hint="Choose another --out folder, or resume with the run's own --teacher.",
        )
    return existing


def _load_base(path: str) -> VocosGenerator:
    vocoder = load_vocoder_from_dir(path)
    if not isinstance(vocoder, VocosGenerator):
        raise CheckpointError(
            f"{path} is not a Vocos vocoder; only Vocos vocoders can be fine-tuned here.",
            hint="Leave --from out to train a Vocos vocoder from scratch.",
        )
    return vocoder


def _resolve(run_dir: Path, wanted: VocoderRunSpec, max_steps: int | None) -> VocoderRunSpec:
    """The folder's own spec when it exists (resume), else ``wanted``; with ``max_steps``."""
    existing = VocoderRunSpec.read(run_dir)
    spec = wanted if existing is None else existing
    if max_steps is not None:
        spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, max_steps=max_steps))
    if spec != existing:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(run_dir / RUN_FILE, spec.to_json().encode("utf-8"))
    return spec


def prepare(spec: VocoderRunSpec, run_dir: Path, calls: VocoderCallbacks) -> PreparedDataset:
    """Check the dataset (audio only: transcripts are not needed) and cache audio + mels."""
    if calls.on_stage:
        calls.on_stage("checking the dataset")
    check_dataset(spec.data_dir, on_progress=calls.on_check).raise_for_errors()
    if calls.on_stage:
        calls.on_stage("preparing audio")
    prepared = prepare_dataset(
        spec.data_dir, run_dir, text=None, audio=spec.audio,
        options=PrepareOptions(keep_audio=True), exclude=frozenset(spec.exclude),
        on_progress=calls.on_prepare,
    )  # fmt: skip
    targets = teacher_targets(spec, run_dir, prepared)
    if targets is not None and targets.missing():
        if calls.on_stage:
            calls.on_stage(f"rendering the teacher's audio ({spec.teacher})")
        teacher = load_teacher(spec.teacher, spec.audio)
        targets.render(prepared, teacher, on_progress=calls.on_prepare)
    return prepared


def teacher_targets(
    spec: VocoderRunSpec, run_dir: Path, prepared: PreparedDataset
) -> TeacherTargets | None:
    """The run's distillation targets (None when it learns the recordings)."""
    if not spec.teacher:
        return None
    clips = select_clips(prepared.train, spec.teacher_clips, spec.train.seed)
    return TeacherTargets(run_dir, clips, spec.audio.hop_length)


def train(
    spec: VocoderRunSpec,
    run_dir: Path,
    *,
    device: torch.device,
    calls: VocoderCallbacks | None = None,
    max_steps: int | None = None,
) -> tuple[int, Path | None]:
    """Train (or resume) a vocoder run; returns the step reached and the exported folder."""
    calls = calls or VocoderCallbacks()
    info = distributed.from_environment()
    device = distributed.process_device(info, device)
    distributed.init_process_group(info, device)
    if info.is_main:  # rank 0 alone writes run.json and the features; the others read them
        spec = _resolve(run_dir, spec, max_steps)
        prepared = prepare(spec, run_dir, calls)
    distributed.barrier()
    if not info.is_main:
        written = VocoderRunSpec.read(run_dir)
        if written is None:  # pragma: no cover - rank 0 wrote it before the barrier
            raise TrainingError(f"{run_dir} has no {RUN_FILE} after rank 0 prepared the run.")
        spec, prepared = written, PreparedDataset.read(run_dir)
    torch.manual_seed(spec.train.seed)
    generator = _load_base(spec.base_vocoder) if spec.base_vocoder else VocosGenerator(spec.vocos)
    trainer = VocoderTrainer(
        run_dir=run_dir, spec=spec, generator=generator, prepared=prepared, device=device,
        dist=info, targets=teacher_targets(spec, run_dir, prepared),
    )  # fmt: skip
    if trainer.resume_if_possible() and calls.on_stage:
        calls.on_stage(f"resumed at step {trainer.step}")
    trainer.model = distributed.wrap(trainer.model, info, device)
    if calls.on_stage:
        calls.on_stage(f"training ({_parameters(generator) / 1e6:.2f} M parameters)")
    step = trainer.run(calls)
    return step, export(run_dir) if info.is_main else None


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def export(run_dir: Path, out: Path | None = None, *, which: str = "best") -> Path:
    """Write a vocoder folder (``vocoder.safetensors`` + ``config.json``) from a run's best (lowest
    validation mel L1) or last checkpoint; default ``run_dir/vocoder``."""
    spec = VocoderRunSpec.read(run_dir)
    if spec is None:
        raise TrainingError(f"{run_dir} is not a vocoder run folder (no {RUN_FILE}).")
    if which not in ("best", "last"):
        raise TrainingError(f"Unknown checkpoint choice '{which}'.", hint="Use best or last.")
    best = checkpoint_dir(run_dir) / BEST_NAME
    path = best if which == "best" and best.is_file() else latest_checkpoint(run_dir)
    if path is None:
        raise TrainingError(f"{run_dir} has no checkpoint yet.", hint="Train a few steps first.")
    generator = VocosGenerator(spec.vocos)
    generator.load_state_dict(load_checkpoint(path)["model"])
    return save_vocos(generator, out or run_dir / VOCODER_DIR)
