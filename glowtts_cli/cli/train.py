"""``glowtts train``, ``glowtts finetune`` and ``glowtts export``: make a voice from recordings."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from glowtts_cli.cli.console import StageProgress, err_console, progress_callback
from glowtts_cli.config import TrainConfig

if TYPE_CHECKING:
    from glowtts_cli.train.acoustic import Callbacks


_SCRATCH, _FINETUNE = TrainConfig(), TrainConfig.finetune()
"""The defaults the help texts state (one source: the configs themselves)."""


def _train_overrides(
    batch_size: int | None, learning_rate: float | None, checkpoint_every: int | None
) -> dict[str, Any]:
    """The training settings given as flags (``--steps`` travels apart, as ``max_steps``)."""
    values = {"batch_size": batch_size, "learning_rate": learning_rate,
              "checkpoint_every": checkpoint_every}  # fmt: skip
    return {k: v for k, v in values.items() if v is not None}


_FLAGS = {
    "data_dir": "DATA",
    "base_voice": "--from/--init-from",
    "max_steps": "--steps",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "checkpoint_every": "--checkpoint-every",
    "freeze": "--freeze",
    "align_band": "--align-band",
    "add_blank": "--blank/--no-blank",
    "language": "--language",
    "name": "--name",
    "kind": "the command (train or finetune)",
}
"""Library settings named in training errors, as the flags that set them."""


@contextmanager
def _flag_names(command: str) -> Iterator[None]:
    """Re-raise the library's training errors naming this command's flags instead of fields."""
    from glowtts_cli.errors import TrainingError

    flags = {**_FLAGS, "base_voice": "--from" if command == "finetune" else "--init-from"}
    field = re.compile(r"\b(" + "|".join(flags) + r")(?=:)|\b(max_steps)\b")
    model = re.compile(r"\bmodel((?:\.\w+)+)(?=:)")

    def to_flags(text: str) -> str:
        text = model.sub(lambda m: f"--config (model{m[1]})", text)
        return field.sub(lambda m: flags[m[1] or m[2]], text)

    try:
        yield
    except TrainingError as e:
        raise type(e)(to_flags(e.message), hint=to_flags(e.hint) if e.hint else None) from e


def _finetune_overrides(
    eval_every: int | None,
    sample_every: int | None,
    patience: int | None,
    freeze: str | None,
    align_band: int | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {"eval_every": eval_every, "sample_every": sample_every,
                              "patience": patience, "align_band": align_band}  # fmt: skip
    if freeze is not None:
        parts = [p.strip() for p in freeze.split(",") if p.strip()]
        values["freeze"] = () if parts == ["none"] else tuple(parts)
    return {k: v for k, v in values.items() if v is not None}


def _print_val_curve(result: Any, rows: int = 12) -> None:
    """The held-out score curve as text: a few evaluations (always the best and the last)."""
    history: list[tuple[int, float]] = result.val_history
    if not history:
        return
    what = "held-out mel error" if result.val_metric == "mel" else "held-out loss"
    keep = {0, len(history) - 1, *range(0, len(history), max(1, len(history) // rows))}
    best = result.best_step
    keep |= {i for i, (step, _) in enumerate(history) if step == best}
    losses = [v for _, v in history]
    low, high = min(losses), max(losses)
    console = err_console()
    console.print(f"[bold]{what}[/] (lower is better)")
    for i in sorted(keep):
        step, value = history[i]
        bar = "#" * (1 + round(30 * (value - low) / (high - low))) if high > low else "#"
        mark = "  <- best, exported" if step == best else ""
        console.print(f"  step {step:>6}  {value:8.4f}  {bar}{mark}", highlight=False)
    if result.stopped_early:
        console.print(f"stopped early: no better {what} after step {best}")
    if best == 0:
        console.print(
            "[yellow]warning:[/] fine-tuning never beat the base voice on the held-out clips; "
            "the exported voice is the base voice (more audio, or a lower --learning-rate, helps)"
        )


def _print_evaluation(run_dir: Path, voice_dir: Path, threads: int | None) -> None:
    from glowtts_cli.train.voice_metrics import evaluate_run

    with progress_callback("evaluating") as progress:
        scores = evaluate_run(run_dir, voice_dir, threads=threads or 1, on_progress=progress)
    console = err_console()
    console.print(f"[bold]on {scores.sentences} held-out clip(s)[/]    base voice    fine-tuned")
    console.print(f"  Whisper WER          {scores.base.wer:8.1f} %  {scores.tuned.wer:8.1f} %")
    console.print(
        f"  speaker similarity   {scores.base.similarity:8.3f}    {scores.tuned.similarity:8.3f}"
        "   (to your recordings; 1 = same)"
    )


class _TrainingDisplay(StageProgress):
    """Rich progress for the stages: checking, preparing, training (step, losses, lr, it/s)."""

    def step(self, report: Any) -> None:
        info = (
            f"loss {report.loss:.3f} (mle {report.loss_mle:.3f}, dur {report.loss_duration:.3f}) "
            f"lr {report.learning_rate:.2e} {report.steps_per_second:.2f} it/s"
            + (" [yellow]skipped: non-finite loss[/]" if report.skipped else "")
        )
        self.show("training", report.step, report.max_steps, info)

    def callbacks(self) -> Callbacks:
        from glowtts_cli.train.acoustic import Callbacks

        return Callbacks(
            on_check=self.counter("checking clips"),
            on_prepare=self.counter("preparing features"),
            on_step=self.step,
            on_stage=self.stage,
        )


def _device(spec: str, threads: int | None) -> Any:
    """The training device; ``--threads`` sets torch's CPU threads deliberately when given."""
    from glowtts_cli.api import select_device
    from glowtts_cli.threads import set_inference_threads

    if threads is not None:
        set_inference_threads(threads)
    return select_device(spec)


@contextmanager
def _resume_note(run_dir: Path) -> Iterator[None]:
    """On Ctrl-C/SIGTERM, say which checkpoint holds the work before "interrupted"."""
    try:
        yield
    except KeyboardInterrupt:
        from glowtts_cli.train.checkpoint import latest_checkpoint

        saved = latest_checkpoint(run_dir)
        if saved is not None:
            err_console().print(
                f"saved {saved}; run the same command again to resume from step "
                f"{int(saved.stem.removeprefix('step_'))}"
            )
        raise


def _finish(result: Any, voice_dir: Path | None) -> None:
    err_console().print(f"[green]done:[/] {result.step} steps")
    if voice_dir is not None:
        err_console().print(f"voice: {voice_dir}")
        err_console().print(f'try:   glowtts say "Hello there." --voice {voice_dir} --play')


def train(
    data: Path = typer.Argument(..., help="Dataset folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (re-run to resume)."),
    config: str | None = typer.Option(
        None, "--config", help="Model: base, small, tiny or a JSON file. [default: small]"
    ),
    language: str | None = typer.Option(
        None, "--language", help="espeak-ng language of the data. [default: en-us]"
    ),
    blank: bool | None = typer.Option(
        None, "--blank/--no-blank", help="Intersperse a blank token. [default: blank]"
    ),
    steps: int | None = typer.Option(
        None, "--steps", help=f"Total optimizer steps. [default: {_SCRATCH.max_steps}]"
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help=f"Clips per step. [default: {_SCRATCH.batch_size}]"
    ),
    learning_rate: float | None = typer.Option(
        None, "--learning-rate", help=f"Noam base rate. [default: {_SCRATCH.learning_rate:g}]"
    ),
    checkpoint_every: int | None = typer.Option(
        None,
        "--checkpoint-every",
        min=1,
        help=f"Save a resumable checkpoint every N steps. [default: {_SCRATCH.checkpoint_every}]",
    ),
    name: str | None = typer.Option(None, "--name", help="Voice name. [default: the data folder]"),
    init_from: str | None = typer.Option(
        None,
        "--init-from",
        help="Start a new run from this voice's weights (its model and symbols) instead of random "
        "ones; the schedule starts again, without DDI.",
    ),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="CPU threads for torch. [default: all cores]"
    ),
) -> None:
    """Train a new voice from scratch (official Glow-TTS recipe: Adam, Noam warm-up, DDI)."""
    from glowtts_cli.config import TrainConfig
    from glowtts_cli.train import acoustic as runs

    overrides = _train_overrides(batch_size, learning_rate, checkpoint_every)
    train_cfg = dataclasses.replace(TrainConfig(), **overrides)
    with ExitStack() as stack, _flag_names("train"), _resume_note(out):
        display = _TrainingDisplay(stack)
        result, voice_dir = runs.train(
            data, out, device=_device(device, threads), calls=display.callbacks(), config=config,
            language=language, add_blank=blank, name=name, train_cfg=train_cfg, max_steps=steps,
            init_from=init_from,
        )  # fmt: skip
    _finish(result, voice_dir)


def finetune(
    data: Path = typer.Argument(..., help="Folder of your recordings with transcripts."),
    base: str | None = typer.Option(None, "--from", help="Voice to start from. [default: bundled]"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run folder. [default: runs/DATA]"),
    steps: int | None = typer.Option(
        None, "--steps", help=f"Total optimizer steps. [default: {_FINETUNE.max_steps}]"
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help=f"Clips per step. [default: {_FINETUNE.batch_size}]"
    ),
    learning_rate: float | None = typer.Option(
        None, "--learning-rate", help=f"Constant rate. [default: {_FINETUNE.learning_rate:g}]"
    ),
    checkpoint_every: int | None = typer.Option(
        None,
        "--checkpoint-every",
        min=1,
        help=f"Save a resumable checkpoint every N steps. [default: {_FINETUNE.checkpoint_every}]",
    ),
    eval_every: int | None = typer.Option(
        None,
        "--eval-every",
        min=1,
        help=f"Held-out score every N steps. [default: {_FINETUNE.eval_every}]",
    ),
    sample_every: int | None = typer.Option(
        None,
        "--sample-every",
        min=1,
        help=f"Audio sample and images every N steps. [default: {_FINETUNE.sample_every}]",
    ),
    patience: int | None = typer.Option(
        None,
        "--patience",
        min=0,
        help="Stop after N held-out scores without a new best (0 = never). "
        f"[default: {_FINETUNE.patience}]",
    ),
    align_band: int | None = typer.Option(
        None,
        "--align-band",
        min=0,
        help="Keep the alignment within N frames of the voice's predicted durations while it "
        f"learns a new speaker (0 = off, as published). [default: {_FINETUNE.align_band}]",
    ),
    freeze: str | None = typer.Option(
        None,
        "--freeze",
        help="Parts left as they are: comma-separated encoder, duration, decoder, modules inside "
        "them (encoder.layers), or none. "
        "[default: none]",
    ),
    language: str | None = typer.Option(
        None, "--language", help="espeak-ng language of your recordings. [default: the voice's]"
    ),
    allow_little_data: bool = typer.Option(
        False, "--allow-little-data", help="Fine-tune even below the minimum amount of audio."
    ),
    evaluate: bool = typer.Option(
        False,
        "--evaluate",
        help="Score the voice at the end: Whisper WER and speaker similarity on held-out clips, "
        'beside the base voice (pip install "glowtts-cli[eval]").',
    ),
    name: str | None = typer.Option(None, "--name", help="Voice name. [default: the data folder]"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="CPU threads for torch. [default: all cores]"
    ),
) -> None:
    """Teach a voice to speak like your recordings (checks the data first; re-run to resume)."""
    from glowtts_cli.train import acoustic as runs
    from glowtts_cli.train.runs import is_run_folder
    from glowtts_cli.voices import default_voice

    run_dir = out or Path("runs") / data.resolve().name
    if base is None and not is_run_folder(run_dir):  # a resumed run knows its voice
        base = default_voice(flag="--from")
    overrides = {
        **_train_overrides(batch_size, learning_rate, checkpoint_every),
        **_finetune_overrides(eval_every, sample_every, patience, freeze, align_band),
    }
    with ExitStack() as stack, _flag_names("finetune"), _resume_note(run_dir):
        display = _TrainingDisplay(stack)
        result, voice_dir = runs.finetune(
            data, base, run_dir, device=_device(device, threads), calls=display.callbacks(),
            name=name, overrides=overrides, max_steps=steps, language=language,
            allow_little_data=allow_little_data,
        )  # fmt: skip
    _print_val_curve(result)
    if evaluate and voice_dir is not None:
        _print_evaluation(run_dir, voice_dir, threads)
    _finish(result, voice_dir)


def export(
    run: Path = typer.Argument(..., help="Training run folder."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Voice folder. [default: RUN/voice]"),
    which: str = typer.Option("best", "--which", help="best (lowest validation score) or last."),
    onnx: bool = typer.Option(
        False, "--onnx", help="Also write model.onnx (Piper's format; `--engine onnx`) into it."
    ),
) -> None:
    """Write a voice folder from a training run's checkpoint."""
    from glowtts_cli.train.export import export as run_export

    with progress_callback("exporting"):
        folder = run_export(run, out, which=which)
    err_console().print(f"[green]voice:[/] {folder}")
    if onnx:
        from glowtts_cli.onnx.export import export_onnx

        with progress_callback("exporting ONNX"):
            graph = export_onnx(folder, folder)
        err_console().print(f"[green]onnx:[/] {graph} (Piper: {graph.name} + {graph.name}.json)")
