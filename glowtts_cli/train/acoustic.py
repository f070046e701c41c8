"""A voice's run: ``train`` from scratch (or from a voice's weights), ``finetune`` a voice.

Each entry point says what a new run would be (:mod:`glowtts_cli.train.plan`) and what a resume
must match; :func:`~glowtts_cli.train.runs.open_run` decides which it is, once. Rank 0 then
checks and prepares the data, every process trains, and rank 0 exports the voice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from glowtts_cli.config import TrainConfig, VoiceConfig
from glowtts_cli.data.prepare import PreparedDataset, PrepareOptions, prepare_dataset
from glowtts_cli.data.validate import check_dataset
from glowtts_cli.errors import TrainingError
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.train import distributed
from glowtts_cli.train.export import export
from glowtts_cli.train.loop import StepReport, Trainer, TrainResult
from glowtts_cli.train.plan import (
    ModelFactory,
    Recordings,
    check_enough_data,
    plan_train,
    warm_started,
)
from glowtts_cli.train.runs import (
    RunCallbacks,
    RunRequest,
    RunSpec,
    asked_settings,
    on_rank_zero_first,
    open_run,
    read_written,
    resumed,
)

logger = logging.getLogger(__name__)

Planned = tuple[RunSpec, ModelFactory | None]
"""A new run's spec and, when it starts from a voice, the model it starts from."""


Callbacks = RunCallbacks[StepReport]
"""Progress hooks of a voice's run."""


def _prepare(
    spec: RunSpec, run_dir: Path, recordings: Recordings, calls: Callbacks
) -> PreparedDataset:
    """Check the dataset, then compute (or reuse) its features; one front end for both."""
    if calls.on_stage:
        calls.on_stage("checking the dataset")
    frontend = recordings.frontend(spec.voice.text)
    manifest = recordings.manifest
    report = check_dataset(manifest, frontend, on_progress=calls.on_check)
    report.raise_for_errors()
    if calls.on_stage:
        calls.on_stage("preparing features")
    voice = spec.voice
    return prepare_dataset(
        manifest,
        run_dir,
        text=voice.text,
        audio=voice.audio,
        options=PrepareOptions(val_fraction=spec.train.val_fraction),
        on_progress=calls.on_prepare,
        frontend=frontend,
    )


def _audio_renderer(voice: VoiceConfig, device: torch.device) -> Callable[[torch.Tensor], Any]:
    """Vocode evaluation mels with the voice's vocoder (Griffin-Lim if it cannot be loaded)."""
    from glowtts_cli.vocoder import GriffinLim, Vocoder, load_vocoder

    holder: list[Vocoder] = []

    def render(mel: torch.Tensor) -> npt.NDArray[np.float32]:
        if not holder:
            try:
                holder.append(load_vocoder(voice.vocoder, voice.audio).to(device))
            except Exception as e:  # evaluation audio must never stop training
                logger.warning("vocoder unavailable for samples (%s); using Griffin-Lim", e)
                holder.append(GriffinLim(voice.audio).to(device))
        with torch.no_grad():
            wav = holder[0].vocode(mel.unsqueeze(0).to(device))[0]
        return wav.clamp(-1, 1).float().cpu().numpy()

    return render


def _with_steps(spec: RunSpec, settings: Mapping[str, Any]) -> RunSpec:
    """A new run's spec with the ``max_steps`` asked for, if any."""
    if "max_steps" not in settings:
        return spec
    train = dataclasses.replace(spec.train, max_steps=settings["max_steps"])
    return dataclasses.replace(spec, train=train)


def _run(
    run_dir: Path,
    recordings: Recordings,
    settings: Mapping[str, Any],
    *,
    plan: Callable[[], Planned],
    request: Callable[[RunSpec], RunRequest],
    device: torch.device,
    calls: Callbacks | None,
) -> tuple[TrainResult, Path | None]:
    """Open the run (``plan`` for a new one, with the ``max_steps`` of ``settings``; ``request``
    to check a resumed one), prepare its data, train; returns the result and the exported
    voice folder (rank 0)."""
    calls = calls or Callbacks()
    info, device = distributed.join(device)

    def open_and_prepare() -> tuple[RunSpec, ModelFactory | None, PreparedDataset]:
        def resume(existing: RunSpec) -> RunSpec:
            return resumed(run_dir, existing, request(existing))

        def new() -> Planned:
            spec, start = plan()
            return _with_steps(spec, settings), start

        spec, start = open_run(run_dir, read=RunSpec.read, plan=new, resume=resume)
        return spec, start, _prepare(spec, run_dir, recordings, calls)

    def read_back() -> tuple[RunSpec, ModelFactory | None, PreparedDataset]:
        # Their initial weights do not matter: DDP starts every process from rank 0's.
        return read_written(RunSpec.read, run_dir), None, PreparedDataset.read(run_dir)

    spec, start, prepared = on_rank_zero_first(info, open_and_prepare, read_back)
    torch.manual_seed(spec.train.seed)
    model = start() if start is not None else GlowTTS(spec.voice.model)
    trainer = Trainer(
        run_dir=run_dir, voice=spec.voice, train=spec.train, model=model, prepared=prepared,
        device=device, dist=info, from_scratch=spec.kind == "train",
        evaluate_audio=_audio_renderer(spec.voice, device),
    )  # fmt: skip
    if trainer.resume_if_possible() and calls.on_stage:
        calls.on_stage(f"resumed at step {trainer.step}")
    if calls.on_stage:
        calls.on_stage("training")
    result = trainer.run(calls.on_step)
    return result, export(run_dir, spec=spec, prepared=prepared) if info.is_main else None


def _settings(asked: Mapping[str, Any], max_steps: int | None) -> dict[str, Any]:
    """The settings asked for, ``max_steps`` among them: the one route of the step count."""
    return {**asked, "max_steps": max_steps} if max_steps is not None else dict(asked)


def train(
    data_dir: Path,
    run_dir: Path,
    *,
    device: torch.device,
    calls: Callbacks | None = None,
    config: str | None = None,
    language: str | None = None,
    add_blank: bool | None = None,
    name: str | None = None,
    train_cfg: TrainConfig | None = None,
    max_steps: int | None = None,
    init_from: str | None = None,
) -> tuple[TrainResult, Path | None]:
    """Train a new voice on ``data_dir`` (or resume the run in ``run_dir``).

    ``config`` (default ``small``), ``language`` (``en-us``) and ``add_blank`` (True) left as
    None take, on a resumed run, the run's own; given, they must match it.

    With ``init_from`` (a voice), a new run starts from that voice's weights, model and front
    end instead of random ones, on the full training schedule (no data-dependent init): how a
    voice trained earlier continues when its run folder is gone.
    """
    recordings = Recordings(data_dir)
    if train_cfg is not None and init_from is not None:
        train_cfg = dataclasses.replace(train_cfg, ddi=False)
    settings = _settings(asked_settings("train", train_cfg), max_steps)

    def scratch(*, like: VoiceConfig | None = None, train: TrainConfig | None = None) -> RunSpec:
        return plan_train(recordings, config=config, language=language, add_blank=add_blank,
                          name=name, train=train, like=like)  # fmt: skip

    def request(existing: RunSpec) -> RunRequest:
        planned = None  # the voice a from-scratch run would build, when on the same data
        same_data = Path(existing.data_dir) == data_dir.resolve()
        if init_from is None and not existing.base_voice and same_data:
            planned = scratch(like=existing.voice).voice
        return RunRequest("train", data_dir, init_from, name, settings, planned)

    def plan() -> Planned:
        if init_from is not None:
            return _continued(recordings, init_from, name=name, train=train_cfg)
        return scratch(train=train_cfg), None

    return _run(
        run_dir, recordings, settings, plan=plan, request=request, device=device, calls=calls
    )


def _continued(
    recordings: Recordings, voice: str, *, name: str | None, train: TrainConfig | None
) -> Planned:
    """A ``train`` run that starts from ``voice``'s weights, model and front end, its schedule
    continuing where the voice's own training stopped (no data-dependent init)."""
    cfg = train or dataclasses.replace(TrainConfig(), ddi=False)
    spec, base, make_model = warm_started(recordings, voice, name=name, train=cfg)
    described = dataclasses.replace(spec.voice, description=base.description)
    schedule = dataclasses.replace(spec.train, schedule_offset=base.training.steps)
    return dataclasses.replace(spec, kind="train", voice=described, train=schedule), make_model


def finetune(
    data_dir: Path,
    base_voice: str | None,
    run_dir: Path,
    *,
    device: torch.device,
    calls: Callbacks | None = None,
    name: str | None = None,
    train_cfg: TrainConfig | None = None,
    max_steps: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    language: str | None = None,
    allow_little_data: bool = False,
) -> tuple[TrainResult, Path | None]:
    """Fine-tune ``base_voice`` on ``data_dir`` (or resume the run in ``run_dir``).

    ``train_cfg`` is used as given; without it, the fine-tuning defaults
    (:meth:`TrainConfig.finetune`) with ``overrides`` on top. A new run on less audio than
    :data:`FINETUNE_MIN_SECONDS` stops unless ``allow_little_data``.
    """
    recordings = Recordings(data_dir)
    asked = dict(overrides) if overrides else asked_settings("finetune", train_cfg)
    settings = _settings(asked, max_steps)

    def request(existing: RunSpec) -> RunRequest:
        return RunRequest("finetune", data_dir, base_voice, name, settings, language=language)

    def plan() -> Planned:
        if base_voice is None:
            raise TrainingError(f"{run_dir} holds no run yet, and no base voice was given.")
        if not allow_little_data:
            check_enough_data(recordings)
        cfg = train_cfg
        if cfg is None and overrides:
            cfg = TrainConfig.finetune(**overrides)
        spec, _, make_model = warm_started(
            recordings, base_voice, name=name, train=cfg, language=language
        )
        return spec, make_model

    return _run(
        run_dir, recordings, settings, plan=plan, request=request, device=device, calls=calls
    )
