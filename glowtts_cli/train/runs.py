"""A run folder: ``run.json`` read once, scratch-or-resume decided once, the checkpoint to export.

A run folder holds ``run.json`` (what is being trained), ``prepared/`` (features),
``checkpoints/``, logs and, at the end, the exported voice or vocoder. Running the same command
on the same folder resumes where it stopped; :func:`open_run` is the one place that decides
whether it starts or resumes, for voices (:mod:`glowtts_cli.train.acoustic`) and vocoders
(:mod:`glowtts_cli.train.vocoder`) alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from glowtts_cli.config import TrainConfig, VoiceConfig, from_dict, to_dict
from glowtts_cli.errors import ConfigError, TrainingError
from glowtts_cli.files import atomic_write_bytes, json_text, read_json
from glowtts_cli.train import distributed
from glowtts_cli.train.checkpoint import BEST_NAME, checkpoint_dir, latest_checkpoint

RUN_FILE = "run.json"


class Spec(Protocol):
    """What a run folder trains: compared, and written as ``run.json``."""

    def to_json(self) -> str:
        """Serialised form (``run.json``)."""
        ...


S = TypeVar("S", bound=Spec)
P = TypeVar("P")
R = TypeVar("R")
Report = TypeVar("Report")


@dataclass(frozen=True)
class RunCallbacks(Generic[Report]):
    """Progress hooks of a run for the CLI (all optional)."""

    on_check: Callable[[int, int], None] | None = None
    """``(done, total)`` while the dataset is checked."""
    on_prepare: Callable[[int, int], None] | None = None
    """``(done, total)`` while its features are prepared."""
    on_step: Callable[[Report], None] | None = None
    """After each optimizer step."""
    on_stage: Callable[[str], None] | None = None
    """When a stage starts (checking, preparing, resumed at step N, training)."""


@dataclass(frozen=True)
class RunSpec:
    """What a voice's run folder trains; written once, read on every resume."""

    kind: str
    """``train`` or ``finetune``."""
    data_dir: str
    """The dataset folder."""
    voice: VoiceConfig
    """The voice being made (front end, audio, model, speakers, vocoder)."""
    train: TrainConfig
    """Optimisation settings."""
    base_voice: str = ""
    """The voice fine-tuned from."""

    def to_json(self) -> str:
        """Serialised form (``run.json``)."""
        data = {"kind": self.kind, "data_dir": self.data_dir, "base_voice": self.base_voice,
                "voice": to_dict(self.voice), "train": to_dict(self.train)}  # fmt: skip
        return json_text(data)

    @classmethod
    def read(cls, run_dir: Path) -> RunSpec | None:
        """The spec of an existing run folder, or None for a new one.

        Raises:
            ConfigError: ``run.json`` is unreadable, not JSON, or lacks a section.
        """
        path = run_dir / RUN_FILE
        if not path.is_file():
            return None
        hint = "run.json is written by glowtts train/finetune: restore it, or use a new run folder."
        data = read_json(path, hint=hint)
        missing = [key for key in ("kind", "data_dir", "voice", "train") if key not in data]
        if missing:
            raise ConfigError(f"{path} lacks {', '.join(missing)}.", hint=hint)
        return cls(
            kind=str(data["kind"]),
            data_dir=str(data["data_dir"]),
            voice=from_dict(VoiceConfig, data["voice"], where=f"{path}:voice"),
            train=from_dict(TrainConfig, data["train"], where=f"{path}:train"),
            base_voice=str(data.get("base_voice", "")),
        )


# -- opening a run ------------------------------------------------------------------------------


def open_run(
    run_dir: Path,
    *,
    read: Callable[[Path], S | None],
    plan: Callable[[], tuple[S, P]],
    resume: Callable[[S], S],
) -> tuple[S, P | None]:
    """Start or resume the run in ``run_dir``, deciding which once, from one read of run.json.

    Args:
        read: reads run.json (None: no run yet).
        plan: a new run's spec, and what else planning it made (a model to start from).
        resume: checks that the request is the run the folder holds, and returns its spec with
            what a resume may change.

    Returns:
        The spec (written to run.json when new or changed), and ``plan``'s extra for a new run
        (None on a resume).
    """
    existing = read(run_dir)
    if existing is None:
        spec, started = plan()
    else:
        spec, started = resume(existing), None
    if spec != existing:
        make_run_folder(run_dir)
        atomic_write_bytes(run_dir / RUN_FILE, spec.to_json().encode("utf-8"))
    return spec, started


def make_run_folder(run_dir: Path) -> None:
    """Create ``run_dir`` (and its parents), or say why it cannot be."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TrainingError(
            f"Cannot create the run folder {run_dir}: {e.strerror or e}.",
            hint="Choose a folder that can be created (no file in the way, write access).",
        ) from e


def on_rank_zero_first(
    info: distributed.DistInfo, first: Callable[[], R], then: Callable[[], R]
) -> R:
    """``first()`` on rank 0, which alone writes run.json and the features; ``then()`` on the
    other processes once it is done (they read what rank 0 wrote)."""
    if info.is_main:
        result = first()
    distributed.barrier()
    if not info.is_main:
        result = then()
    return result


def existing_run(read: Callable[[Path], S | None], run_dir: Path, *, what: str, command: str) -> S:
    """The spec of the run in ``run_dir`` (``read`` is a spec class's ``read``), or an error
    saying it holds no ``what`` run and which ``command`` writes one."""
    spec = read(run_dir)
    if spec is None:
        raise TrainingError(
            f"{run_dir} is not a {what} run folder (no {RUN_FILE}).",
            hint=f"Give the folder that `{command}` wrote with --out.",
        )
    return spec


def read_written(read: Callable[[Path], S | None], run_dir: Path) -> S:
    """The spec rank 0 wrote before the barrier."""
    spec = read(run_dir)
    if spec is None:  # pragma: no cover - rank 0 wrote it before the barrier
        raise TrainingError(f"{run_dir} has no {RUN_FILE} after rank 0 prepared the run.")
    return spec


# -- resuming a voice's run ------------------------------------------------------------------------


RESUMABLE = ("max_steps", "checkpoint_every", "eval_every", "sample_every", "log_every",
             "keep_last", "num_workers")  # fmt: skip
"""Training settings a resumed run may change (the others are fixed when the run starts)."""


@dataclass(frozen=True)
class RunRequest:
    """What a command asks of a run folder; compared with its ``run.json`` before resuming."""

    kind: str
    """``train`` or ``finetune``."""
    data_dir: Path
    """The dataset folder."""
    base_voice: str | None = ""
    """The voice started from (``finetune``, or ``train`` from a voice's weights); None: the
    run's."""
    name: str | None = None
    """The voice name asked for (None: the data folder's name)."""
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Training settings asked for, by field name (the others: the run's); ``max_steps`` here
    is the only route of the step count."""
    voice: VoiceConfig | None = None
    """The planned voice, where planning it is cheap (``train`` from scratch)."""
    language: str | None = None
    """The language asked for (None: the run's)."""


def asked_settings(kind: str, train: TrainConfig | None) -> dict[str, Any]:
    """The settings of ``train`` that differ from the defaults of a ``kind`` run: those asked for.

    A resumed run takes the others from its ``run.json``.
    """
    if train is None:
        return {}
    default = to_dict(TrainConfig.finetune() if kind == "finetune" else TrainConfig())
    return {key: value for key, value in to_dict(train).items() if value != default[key]}


def to_dict_values(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as ``to_dict`` writes them (tuples as lists), for comparing with run.json."""
    return {key: list(v) if isinstance(v, tuple) else v for key, v in settings.items()}


def _same_voice_spec(a: str, b: str) -> bool:
    if a == b:
        return True
    pa, pb = Path(a), Path(b)
    return pa.exists() and pb.exists() and pa.resolve() == pb.resolve()


def resume_differences(existing: RunSpec, request: RunRequest) -> list[str]:
    """Each setting of ``request`` that differs from the run's, as ``field: run value, asked``."""
    found: list[tuple[str, object, object]] = [
        ("kind", existing.kind, request.kind),
        ("data_dir", existing.data_dir, str(request.data_dir.resolve())),
    ]
    if request.name is not None:
        found.append(("name", existing.voice.name, request.name))
    if request.base_voice is not None and not _same_voice_spec(
        existing.base_voice, request.base_voice
    ):
        found.append(("base_voice", existing.base_voice or "none", request.base_voice or "none"))
    if request.language is not None and request.voice is None:
        found.append(("language", existing.voice.language, request.language))
    model: list[tuple[str, object, object]] = []
    if request.voice is not None:
        planned, ran = request.voice, existing.voice
        found += [("language", ran.language, planned.language),
                  ("add_blank", ran.text.add_blank, planned.text.add_blank)]  # fmt: skip
        model = _flat_differences("model", to_dict(ran.model), to_dict(planned.model))
        found += model[:3]
    ran_train, asked = to_dict(existing.train), to_dict_values(request.settings)
    found += [(key, ran_train.get(key), asked[key]) for key in asked if key not in RESUMABLE]
    named = [f"{key}: {was} in the run, {now} now" for key, was, now in found if was != now]
    if len(model) > 3:
        named.append(f"model: {len(model) - 3} more settings differ")
    return named


def _flat_differences(
    prefix: str, ran: dict[str, Any], asked: dict[str, Any]
) -> list[tuple[str, object, object]]:
    found: list[tuple[str, object, object]] = []
    for key in sorted(set(ran) | set(asked)):
        was, now = ran.get(key), asked.get(key)
        if isinstance(was, dict) and isinstance(now, dict):
            found += _flat_differences(f"{prefix}.{key}", was, now)
        elif was != now:
            found.append((f"{prefix}.{key}", was, now))
    return found


def check_resume(run_dir: Path, existing: RunSpec, request: RunRequest) -> None:
    """Stop with every difference named when ``request`` is not the run ``run_dir`` holds."""
    differences = resume_differences(existing, request)
    if differences:
        raise TrainingError(
            f"{run_dir} holds a different {existing.kind} run ({'; '.join(differences)}).",
            hint="A run resumes with the settings it started with; only max_steps and the "
            "checkpoint, evaluation and log intervals may change. Use another run folder to "
            "train with new settings.",
        )


def resumed(run_dir: Path, existing: RunSpec, request: RunRequest) -> RunSpec:
    """The run's spec, once ``request`` is known to be its run, with the resumable settings it
    asks for (``max_steps`` no lower than the steps already done)."""
    check_resume(run_dir, existing, request)
    asked = {key: request.settings[key] for key in RESUMABLE if key in request.settings}
    done = finished_step(run_dir)
    if asked.get("max_steps", done) < done:
        raise TrainingError(
            f"{run_dir} has already trained {done} steps, more than max_steps "
            f"{asked['max_steps']}.",
            hint=f"Give max_steps of {done} or more to go on, or export the run as it is.",
        )
    return dataclasses.replace(existing, train=dataclasses.replace(existing.train, **asked))


def is_run_folder(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run (which re-running resumes)."""
    return (run_dir / RUN_FILE).is_file()


def finished_step(run_dir: Path) -> int:
    """The step of the newest checkpoint (0 when there is none), from its file name."""
    latest = latest_checkpoint(run_dir)
    return int(latest.stem.removeprefix("step_")) if latest is not None else 0


# -- exporting -------------------------------------------------------------------------------------


def chosen_checkpoint(run_dir: Path, which: str) -> Path:
    """The run's best checkpoint (``best``; the last while there is no best) or its last.

    Raises:
        ConfigError: ``which`` is neither ``best`` nor ``last``.
        TrainingError: the run has no checkpoint yet.
    """
    if which not in ("best", "last"):
        raise ConfigError(f"Unknown checkpoint choice '{which}'.", hint="Use best or last.")
    best = checkpoint_dir(run_dir) / BEST_NAME
    path = best if which == "best" and best.is_file() else latest_checkpoint(run_dir)
    if path is None:
        raise TrainingError(f"{run_dir} has no checkpoint yet.", hint="Train a few steps first.")
    return path
