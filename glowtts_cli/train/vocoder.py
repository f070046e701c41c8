"""``glowtts vocoder train``: train (or fine-tune) a Vocos vocoder on a dataset's own audio.

A run folder holds ``run.json`` (what is trained), ``prepared/`` (cleaned audio and mels, the
same preparation as acoustic training, so the vocoder sees the levels the acoustic model's mels
have), ``checkpoints/`` (atomic, the last few and the best), ``metrics.jsonl`` / TensorBoard and,
at the end, ``vocoder/``. Re-running the same command resumes exactly where the last checkpoint
left off (the loop is :mod:`glowtts_cli.train.vocoder_loop`).
"""

from __future__ import annotations

import dataclasses
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
from glowtts_cli.files import json_text, read_json
from glowtts_cli.state_dict import load_state_dict_strict
from glowtts_cli.train import distributed
from glowtts_cli.train.checkpoint import load_checkpoint
from glowtts_cli.train.runs import (
    RUN_FILE,
    chosen_checkpoint,
    existing_run,
    on_rank_zero_first,
    open_run,
    read_written,
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
        return json_text(data)

    @classmethod
    def read(cls, run_dir: Path) -> VocoderRunSpec | None:
        """The spec of an existing run folder, or None for a new one."""
        path = run_dir / RUN_FILE
        if not path.is_file():
            return None
        hint = "run.json is written by glowtts vocoder train: restore it, or use a new run folder."
        data = read_json(path, hint=hint)
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
    return _same_run(run_dir, existing, data_dir, plan_args.get("teacher"))


def _same_run(
    run_dir: Path, existing: VocoderRunSpec, data_dir: Path, teacher: str | None
) -> VocoderRunSpec:
    """``existing``, once it is known to be the run asked for (same data, same teacher)."""
    if Path(existing.data_dir) != data_dir.resolve():
        raise TrainingError(
            f"{run_dir} already holds a vocoder run on {existing.data_dir}.",
            hint="Choose another --out folder, or run the same command again to resume it.",
        )
    if _teacher_source(teacher) != existing.teacher:
        raise TrainingError(
            f"{run_dir} already holds a vocoder run with teacher "
            f"'{existing.teacher or 'none'}', not '{teacher or 'none'}'.",
            hint="Choose another --out folder, or resume with the run's own --teacher.",
        )
    return existing


def open_vocoder_run(
    run_dir: Path, data_dir: Path, *, max_steps: int | None = None, **plan_args: Any
) -> VocoderRunSpec:
    """Start (:func:`plan`) or resume the vocoder run in ``run_dir``, decided once from one
    read of run.json; ``max_steps``, when given, is the run's from now on."""
    return open_run(
        run_dir,
        read=VocoderRunSpec.read,
        plan=lambda: (_with_steps(plan(data_dir, **plan_args), max_steps), None),
        resume=lambda existing: _with_steps(
            _same_run(run_dir, existing, data_dir, plan_args.get("teacher")), max_steps
        ),
    )[0]


def _with_steps(spec: VocoderRunSpec, max_steps: int | None) -> VocoderRunSpec:
    if max_steps is None:
        return spec
    return dataclasses.replace(spec, train=dataclasses.replace(spec.train, max_steps=max_steps))


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
    return open_run(
        run_dir,
        read=VocoderRunSpec.read,
        plan=lambda: (_with_steps(wanted, max_steps), None),
        resume=lambda existing: _with_steps(existing, max_steps),
    )[0]


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
    run_dir: Path,
    data_dir: Path,
    *,
    device: torch.device,
    calls: VocoderCallbacks | None = None,
    max_steps: int | None = None,
    **plan_args: Any,
) -> tuple[int, Path | None]:
    """Train a new vocoder run (``plan_args`` as :func:`plan` takes them) or resume the one in
    ``run_dir``; returns the step reached and the exported folder (rank 0)."""
    calls = calls or VocoderCallbacks()
    info, device = distributed.join(device)

    def open_and_prepare() -> tuple[VocoderRunSpec, PreparedDataset]:
        spec = open_vocoder_run(run_dir, data_dir, max_steps=max_steps, **plan_args)
        return spec, prepare(spec, run_dir, calls)

    def read_back() -> tuple[VocoderRunSpec, PreparedDataset]:
        return read_written(VocoderRunSpec.read, run_dir), PreparedDataset.read(run_dir)

    spec, prepared = on_rank_zero_first(info, open_and_prepare, read_back)
    torch.manual_seed(spec.train.seed)
    generator = _load_base(spec.base_vocoder) if spec.base_vocoder else VocosGenerator(spec.vocos)
    trainer = VocoderTrainer(
        run_dir=run_dir, spec=spec, generator=generator, prepared=prepared, device=device,
        dist=info, targets=teacher_targets(spec, run_dir, prepared),
    )  # fmt: skip
    if trainer.resume_if_possible() and calls.on_stage:
        calls.on_stage(f"resumed at step {trainer.step}")
    if calls.on_stage:
        calls.on_stage(f"training ({_parameters(generator) / 1e6:.2f} M parameters)")
    step = trainer.run(calls)
    return step, export(run_dir, spec=spec) if info.is_main else None


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def export(
    run_dir: Path,
    out: Path | None = None,
    *,
    which: str = "best",
    spec: VocoderRunSpec | None = None,
) -> Path:
    """Write a vocoder folder (``vocoder.safetensors`` + ``config.json``) from a run's best (lowest
    validation mel L1) or last checkpoint; default ``run_dir/vocoder``. The weights load
    strictly."""
    spec = spec or existing_run(
        VocoderRunSpec.read, run_dir, what="vocoder", command="glowtts vocoder train"
    )
    path = chosen_checkpoint(run_dir, which)
    generator = VocosGenerator(spec.vocos)
    load_state_dict_strict(generator, load_checkpoint(path)["model"], source=str(path))
    return save_vocos(generator, out or run_dir / VOCODER_DIR)
