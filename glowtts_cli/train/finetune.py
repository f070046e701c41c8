"""Entry points the CLI calls: ``train`` from scratch, ``finetune`` from a voice, ``export``.

A run folder holds ``run.json`` (what is being trained), ``prepared/`` (features),
``checkpoints/``, logs and, at the end, ``voice/``. Running the same command on the same folder
resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from glowtts_cli.config import (
    AudioConfig,
    ModelConfig,
    TextConfig,
    TrainConfig,
    TrainingInfo,
    VocoderConfig,
    VoiceConfig,
    from_dict,
    load_json,
    to_dict,
)
from glowtts_cli.data.prepare import PreparedDataset, PrepareOptions, prepare_dataset
from glowtts_cli.data.validate import FINETUNE_GOOD_SECONDS, FINETUNE_MIN_SECONDS, check_dataset
from glowtts_cli.errors import ConfigError, GlowTTSError, TrainingError
from glowtts_cli.files import atomic_write_bytes, json_text, read_json
from glowtts_cli.hub import resolve
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.state_dict import load_state_dict_strict
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.symbols import default_symbols
from glowtts_cli.train import distributed
from glowtts_cli.train.checkpoint import (
    BEST_NAME,
    checkpoint_dir,
    latest_checkpoint,
    load_checkpoint,
)
from glowtts_cli.train.loop import StepReport, Trainer, TrainResult
from glowtts_cli.train.warmstart import (
    MULTI_SPEAKER_GIN,
    extend_symbols,
    speaker_model,
    speaker_table,
    warm_start,
)
from glowtts_cli.voice_folder import (
    export_model_state,
    load_model_state,
    public_name,
    read_voice_config,
    save_voice,
)

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
VOICE_DIR = "voice"


@dataclass(frozen=True)
class RunSpec:
    """What a run folder trains; written once, read on every resume."""

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


@dataclass(frozen=True)
class Callbacks:
    """Progress hooks for the CLI (all optional)."""

    on_check: Callable[[int, int], None] | None = None
    on_prepare: Callable[[int, int], None] | None = None
    on_step: Callable[[StepReport], None] | None = None
    on_stage: Callable[[str], None] | None = None


def model_preset(config: str, n_vocab: int) -> ModelConfig:
    """``base``/``small``/``tiny`` or a JSON file holding a ModelConfig.

    Presets get the standard 80 mel bands (``tiny`` included), so that the bundled HiFi-GAN
    can voice them; a JSON config keeps its own ``n_mels``.
    """
    path = Path(config)
    if path.suffix == ".json" or path.is_file():
        cfg = load_json(ModelConfig, path)
        return dataclasses.replace(cfg, n_vocab=n_vocab)
    return dataclasses.replace(
        ModelConfig.preset(config, n_vocab=n_vocab), n_mels=AudioConfig().n_mels
    )


def _speakers_of(data_dir: Path) -> tuple[str, ...]:
    from glowtts_cli.data.manifest import read_manifest

    return read_manifest(data_dir).speakers


def plan_train(
    data_dir: Path,
    *,
    config: str = "small",
    language: str = "en-us",
    add_blank: bool = True,
    name: str | None = None,
    train: TrainConfig | None = None,
) -> RunSpec:
    """What ``glowtts train`` trains: espeak front end, a preset model, the data's speakers."""
    text = TextConfig(
        language=language, phonemizer="espeak", symbols=default_symbols("espeak"),
        add_blank=add_blank,
    )  # fmt: skip
    model = model_preset(config, text.n_vocab)
    speakers = _speakers_of(data_dir)
    if len(speakers) > 1:
        model = dataclasses.replace(
            model, n_speakers=len(speakers), gin_channels=model.gin_channels or MULTI_SPEAKER_GIN
        )
    standard = model.n_mels == AudioConfig().n_mels
    voice = VoiceConfig(
        name=name or data_dir.resolve().name,
        language=language,
        license="unknown",
        text=text,
        audio=AudioConfig(n_mels=model.n_mels),
        model=model,
        # The bundled HiFi-GAN needs 80 mel bands; other mel counts fall back to Griffin-Lim.
        vocoder=VocoderConfig() if standard else VocoderConfig(kind="griffin-lim"),
        speakers=speakers if len(speakers) > 1 else (),
    )
    return RunSpec("train", str(data_dir.resolve()), voice, train or TrainConfig())


def _new_symbols(data_dir: Path, text: TextConfig) -> list[str]:
    """Symbols the data's transcripts need that the voice's table lacks (espeak voices)."""
    if text.phonemizer == "official":
        return []
    from glowtts_cli.data.manifest import read_manifest

    frontend = TextFrontend(text)
    found: dict[str, None] = {}
    for utt in read_manifest(data_dir).utterances:
        if not utt.text.strip():
            continue
        try:
            phonemes = frontend.phonemize(utt.text)
        except Exception:  # the checker reports unreadable transcripts
            continue
        found.update(dict.fromkeys(ch for ch in phonemes if ch not in text.symbols))
    return list(found)


def audio_seconds(data_dir: Path) -> float:
    """Seconds of audio the dataset's clips hold, from their headers (unreadable ones count 0:
    the checker reports them)."""
    from glowtts_cli.audio.io import info
    from glowtts_cli.data.manifest import read_manifest

    total = 0.0
    for utt in read_manifest(data_dir).utterances:
        try:
            total += info(utt.audio).duration
        except GlowTTSError:
            continue
    return total


def finetune_config(data_dir: Path, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """The fine-tuning settings for this much data (:meth:`TrainConfig.finetune`), with
    ``overrides`` on top."""
    return TrainConfig.finetune(audio_seconds=audio_seconds(data_dir), **(overrides or {}))


def check_enough_data(data_dir: Path) -> None:
    """Refuse a fine-tune on less audio than :data:`FINETUNE_MIN_SECONDS` (measured: less
    makes a worse voice than the base one), saying how much more is needed."""
    seconds = audio_seconds(data_dir)
    if seconds < FINETUNE_MIN_SECONDS:
        raise TrainingError(
            f"{data_dir} holds {seconds:.0f} s of audio; fine-tuning needs at least "
            f"{FINETUNE_MIN_SECONDS:.0f} s ({FINETUNE_MIN_SECONDS - seconds:.0f} s more).",
            hint=f"Record more clips ({FINETUNE_GOOD_SECONDS / 60:.0f} minutes or more make a "
            "closer voice), or pass --allow-little-data to try anyway.",
        )


def _with_language(base: VoiceConfig, language: str | None) -> TextConfig:
    """The base voice's front end, speaking ``language`` (an espeak-ng language) when given."""
    if language is None or language == base.text.language:
        return base.text
    if base.text.phonemizer != "espeak":
        raise ConfigError(
            f"The base voice's front end ({base.text.phonemizer}) speaks {base.text.language} "
            "only; it cannot switch to another language.",
            hint="Fine-tune an espeak voice, or leave --language out.",
        )
    return dataclasses.replace(base.text, language=language)


def plan_finetune(
    data_dir: Path, base_spec: str, *, name: str | None = None, train: TrainConfig | None = None,
    language: str | None = None,
) -> tuple[RunSpec, VoiceConfig, Path]:  # fmt: skip
    """What ``glowtts finetune`` will train, and the base voice's config and folder.

    ``language`` moves the voice to another espeak-ng language: symbols its phonemes need
    that the base voice lacks are added (as for any new symbol), the rest keep their rows.
    """
    base_dir = resolve(base_spec).path
    base = read_voice_config(base_dir)
    spoken = _with_language(base, language)
    text = extend_symbols(spoken, _new_symbols(data_dir, spoken))
    speakers, _ = speaker_table(base, _speakers_of(data_dir))
    model = speaker_model(base.model, text, speakers)
    voice = dataclasses.replace(
        base,
        name=name or data_dir.resolve().name,
        description=f"Fine-tuned from {base.name} on {data_dir.resolve().name}.",
        language=text.language,
        text=text,
        model=model,
        speakers=speakers or base.speakers,
    )
    spec = RunSpec("finetune", str(data_dir.resolve()), voice, train or finetune_config(data_dir),
                   base_voice=base_spec)  # fmt: skip
    return spec, base, base_dir


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
    """Training settings asked for, by field name (the others: the run's)."""
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


def is_run_folder(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run (which re-running resumes)."""
    return (run_dir / RUN_FILE).is_file()


def _finished_step(run_dir: Path) -> int:
    """The step of the newest checkpoint (0 when there is none), from its file name."""
    latest = latest_checkpoint(run_dir)
    return int(latest.stem.removeprefix("step_")) if latest is not None else 0


def _resolve_spec(run_dir: Path, wanted: RunSpec, max_steps: int | None) -> tuple[RunSpec, bool]:
    """The spec to run: the folder's own when it exists (resume), else ``wanted``; either way
    with ``max_steps`` when given."""
    existing = RunSpec.read(run_dir)
    if existing is None:
        if max_steps is not None:
            wanted = dataclasses.replace(
                wanted, train=dataclasses.replace(wanted.train, max_steps=max_steps)
            )
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise TrainingError(
                f"Cannot create the run folder {run_dir}: {e.strerror or e}.",
                hint="Choose a folder that can be created (no file in the way, write access).",
            ) from e
        atomic_write_bytes(run_dir / RUN_FILE, wanted.to_json().encode("utf-8"))
        return wanted, False
    if Path(existing.data_dir) != Path(wanted.data_dir) or existing.kind != wanted.kind:
        raise TrainingError(
            f"{run_dir} already holds a {existing.kind} run on {existing.data_dir}.",
            hint="Choose another --out folder, or run the same command again to resume it.",
        )
    done = _finished_step(run_dir)
    if max_steps is not None and max_steps < done:
        raise TrainingError(
            f"{run_dir} has already trained {done} steps, more than max_steps {max_steps}.",
            hint=f"Give max_steps of {done} or more to go on, or export the run as it is.",
        )
    # Only the resumable settings are taken from the request; run.json changes only with them.
    train = dataclasses.replace(
        existing.train, **{key: getattr(wanted.train, key) for key in RESUMABLE}
    )
    if max_steps is not None:
        train = dataclasses.replace(train, max_steps=max_steps)
    if train != existing.train:
        existing = dataclasses.replace(existing, train=train)
        atomic_write_bytes(run_dir / RUN_FILE, existing.to_json().encode("utf-8"))
    return existing, True


def _resumed(existing: RunSpec, asked: Mapping[str, Any]) -> RunSpec:
    """The run's spec with the resumable intervals asked for (``max_steps`` comes separately)."""
    intervals = {key: asked[key] for key in RESUMABLE if key in asked and key != "max_steps"}
    return dataclasses.replace(existing, train=dataclasses.replace(existing.train, **intervals))


def _prepare(spec: RunSpec, run_dir: Path, calls: Callbacks) -> PreparedDataset:
    if calls.on_stage:
        calls.on_stage("checking the dataset")
    frontend = TextFrontend(spec.voice.text)
    check_dataset(spec.data_dir, frontend, on_progress=calls.on_check).raise_for_errors()
    if calls.on_stage:
        calls.on_stage("preparing features")
    return prepare_dataset(
        spec.data_dir, run_dir, text=spec.voice.text, audio=spec.voice.audio,
        options=PrepareOptions(val_fraction=spec.train.val_fraction), on_progress=calls.on_prepare,
    )  # fmt: skip


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


def run(
    spec: RunSpec,
    run_dir: Path,
    *,
    device: torch.device,
    calls: Callbacks | None = None,
    max_steps: int | None = None,
    make_model: Callable[[], GlowTTS] | None = None,
) -> tuple[TrainResult, Path | None]:
    """Train (or resume) a run; returns the result and the exported voice folder (rank 0)."""
    calls = calls or Callbacks()
    info = distributed.from_environment()
    device = distributed.process_device(info, device)
    distributed.init_process_group(info, device)
    # Rank 0 alone writes run.json and the features; the others read them once it is done
    # (their initial weights do not matter: DDP starts every process from rank 0's).
    if info.is_main:
        spec, resuming = _resolve_spec(run_dir, spec, max_steps)
        prepared = _prepare(spec, run_dir, calls)
    distributed.barrier()
    if not info.is_main:
        written = RunSpec.read(run_dir)
        if written is None:  # pragma: no cover - rank 0 wrote it before the barrier
            raise TrainingError(f"{run_dir} has no {RUN_FILE} after rank 0 prepared the run.")
        spec, resuming = written, True
        prepared = PreparedDataset.read(run_dir)
    torch.manual_seed(spec.train.seed)
    model = make_model() if (make_model is not None and not resuming) else GlowTTS(spec.voice.model)
    trainer = Trainer(
        run_dir=run_dir, voice=spec.voice, train=spec.train, model=model, prepared=prepared,
        device=device, dist=info, from_scratch=spec.kind == "train",
        evaluate_audio=_audio_renderer(spec.voice, device),
    )  # fmt: skip
    if trainer.resume_if_possible() and calls.on_stage:
        calls.on_stage(f"resumed at step {trainer.step}")
    trainer.model = distributed.wrap(trainer.raw, info, device)
    if calls.on_stage:
        calls.on_stage("training")
    result = trainer.run(calls.on_step)
    voice_dir = export(run_dir) if info.is_main else None
    return result, voice_dir


def train(
    data_dir: Path, run_dir: Path, *, device: torch.device, calls: Callbacks | None = None,
    config: str | None = None, language: str | None = None, add_blank: bool | None = None,
    name: str | None = None, train_cfg: TrainConfig | None = None, max_steps: int | None = None,
    init_from: str | None = None,
) -> tuple[TrainResult, Path | None]:  # fmt: skip
    """Train a new voice on ``data_dir`` (or resume the run in ``run_dir``).

    ``config`` (default ``small``), ``language`` (``en-us``) and ``add_blank`` (True) left as
    None take, on a resumed run, the run's own; given, they must match it.

    With ``init_from`` (a voice), a new run starts from that voice's weights, model and front
    end instead of random ones, on the full training schedule (no data-dependent init): how a
    voice trained earlier continues when its run folder is gone.
    """
    spec = RunSpec.read(run_dir)
    if spec is not None:
        planned = None  # the voice a from-scratch run would build, when on the same data
        same_data = Path(spec.data_dir) == data_dir.resolve()
        if init_from is None and not spec.base_voice and same_data:
            ran = spec.voice
            planned = plan_train(
                data_dir, config=config or "small", language=language or ran.language,
                add_blank=ran.text.add_blank if add_blank is None else add_blank, name=name,
            ).voice  # fmt: skip
            planned = (
                planned if config is not None else dataclasses.replace(planned, model=ran.model)
            )
        asked = train_cfg
        if asked is not None and init_from is not None:
            asked = dataclasses.replace(asked, ddi=False)
        settings = asked_settings("train", asked)
        check_resume(run_dir, spec, RunRequest("train", data_dir, init_from, name, settings,
                                               planned))  # fmt: skip
        return run(_resumed(spec, settings), run_dir, device=device, calls=calls,
                   max_steps=max_steps)  # fmt: skip
    if init_from is not None:
        cfg = dataclasses.replace(train_cfg or TrainConfig(), ddi=False)
        spec, base, make_model = _warm_started(data_dir, init_from, name=name, train=cfg)
        voice = dataclasses.replace(spec.voice, description=base.description)
        # The schedule continues where the voice's own training stopped.
        train = dataclasses.replace(spec.train, schedule_offset=base.training.steps)
        spec = dataclasses.replace(spec, kind="train", voice=voice, train=train)
        return run(spec, run_dir, device=device, calls=calls, max_steps=max_steps,
                   make_model=make_model)  # fmt: skip
    spec = plan_train(
        data_dir, config=config or "small", language=language or "en-us",
        add_blank=True if add_blank is None else add_blank, name=name, train=train_cfg,
    )  # fmt: skip
    return run(spec, run_dir, device=device, calls=calls, max_steps=max_steps)


def _warm_started(
    data_dir: Path, base_voice: str, *, name: str | None, train: TrainConfig | None,
    language: str | None = None,
) -> tuple[RunSpec, VoiceConfig, Callable[[], GlowTTS]]:  # fmt: skip
    """The fine-tune plan for ``data_dir`` from ``base_voice``, the base voice's config, and
    the model it starts from."""
    spec, base, base_dir = plan_finetune(
        data_dir, base_voice, name=name, train=train, language=language
    )
    _, rows = speaker_table(base, spec.voice.speakers)

    def make_model() -> GlowTTS:
        _, model = warm_start(
            base, load_model_state(base_dir), text=spec.voice.text,
            speakers=spec.voice.speakers, rows=rows, seed=spec.train.seed,
        )  # fmt: skip
        return model

    return spec, base, make_model


def finetune(
    data_dir: Path, base_voice: str | None, run_dir: Path, *, device: torch.device,
    calls: Callbacks | None = None, name: str | None = None,
    train_cfg: TrainConfig | None = None, max_steps: int | None = None,
    overrides: Mapping[str, Any] | None = None, language: str | None = None,
    allow_little_data: bool = False,
) -> tuple[TrainResult, Path | None]:  # fmt: skip
    """Fine-tune ``base_voice`` on ``data_dir`` (or resume the run in ``run_dir``).

    ``train_cfg`` is used as given; without it, the defaults for the data's size
    (:func:`finetune_config`) with ``overrides`` on top. A new run on less audio than
    :data:`FINETUNE_MIN_SECONDS` stops unless ``allow_little_data``.
    """
    if train_cfg is None and overrides:
        train_cfg = finetune_config(data_dir, overrides)
    existing = RunSpec.read(run_dir)
    if existing is not None:
        settings = dict(overrides) if overrides else asked_settings("finetune", train_cfg)
        check_resume(run_dir, existing, RunRequest("finetune", data_dir, base_voice, name,
                                                   settings, language=language))  # fmt: skip
        return run(_resumed(existing, settings), run_dir, device=device, calls=calls,
                   max_steps=max_steps)  # fmt: skip
    if base_voice is None:
        raise TrainingError(f"{run_dir} holds no run yet, and no base voice was given.")
    if not allow_little_data:
        check_enough_data(data_dir)
    spec, _, make_model = _warm_started(
        data_dir, base_voice, name=name, train=train_cfg, language=language
    )
    return run(spec, run_dir, device=device, calls=calls, max_steps=max_steps,
               make_model=make_model)  # fmt: skip


def export(run_dir: Path, out: Path | None = None, *, which: str = "best") -> Path:
    """Write a voice folder from a run's best (or last) checkpoint; default ``run_dir/voice``."""
    spec = RunSpec.read(run_dir)
    if spec is None:
        raise TrainingError(f"{run_dir} is not a training run folder (no {RUN_FILE}).")
    best = checkpoint_dir(run_dir) / BEST_NAME
    path = best if which == "best" and best.is_file() else latest_checkpoint(run_dir)
    if path is None:
        raise TrainingError(
            f"{run_dir} has no checkpoint yet.", hint="Train for a few steps first."
        )
    if which not in ("best", "last"):
        raise ConfigError(f"Unknown checkpoint choice '{which}'.", hint="Use best or last.")
    state = load_checkpoint(path)
    model = GlowTTS(spec.voice.model)
    load_state_dict_strict(model, state["model"], source=str(path))
    prepared = PreparedDataset.read(run_dir)
    frames = sum(u.n_frames for u in (*prepared.train, *prepared.val))
    hours = frames * spec.voice.audio.hop_length / spec.voice.audio.sample_rate / 3600
    info = TrainingInfo(
        dataset=public_name(spec.data_dir),  # the folder's name: a path would leak on push
        hours=round(hours, 3),
        steps=int(state["step"]),
        base_voice=public_name(spec.base_voice),
        final_losses={"val_loss": float(state["best_val"])} if state.get("best_val") else {},
        notes=f"Trained with glowtts-cli ({spec.kind}); checkpoint {path.name}.",
    )
    voice = dataclasses.replace(spec.voice, training=info)
    return save_voice(out or run_dir / VOICE_DIR, voice, export_model_state(model))
