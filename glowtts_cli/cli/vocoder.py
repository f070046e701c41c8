"""``glowtts vocoder train`` and ``glowtts vocoder export``: a Vocos vocoder from recordings."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from glowtts_cli.cli.console import StageProgress, err_console, progress_callback

if TYPE_CHECKING:
    from glowtts_cli.train.vocoder import VocoderCallbacks, VocoderStepReport

app = typer.Typer(help="Train and export Vocos vocoders.", no_args_is_help=True)

LOG_INTERVAL_S = 60.0
"""Seconds between progress lines when stderr is not a terminal (a log file)."""


class _VocoderDisplay(StageProgress):
    """A rich bar with losses and ETA on terminals; a plain line a minute in log files."""

    def __init__(self, stack: ExitStack) -> None:
        super().__init__(stack, disable=not err_console().is_terminal)
        self.started = time.monotonic()
        self.first_step: int | None = None
        self.last_line = 0.0

    def step(self, report: VocoderStepReport) -> None:
        losses = " ".join(f"{k} {v:.3f}" for k, v in report.losses.items())
        info = f"{losses} lr {report.learning_rate:.1e} {report.steps_per_second:.2f} it/s"
        self.show("training", report.step, report.max_steps, info)
        now = time.monotonic()
        if self.first_step is None:  # rates count from the first step of this session
            self.first_step, self.started, self.last_line = report.step, now, now
        if not self.console.is_terminal and now - self.last_line >= LOG_INTERVAL_S:
            self.last_line = now
            done = report.step - self.first_step
            rate = done / max(now - self.started, 1e-9)
            eta = (report.max_steps - report.step) / rate if rate > 0 else float("inf")
            self.console.print(
                f"step {report.step}/{report.max_steps} {info} "
                f"({1 / rate if rate else float('inf'):.3f} s/step, eta {eta / 60:.0f} min)"
            )

    def evaluated(self, step: int, values: dict[str, float]) -> None:
        shown = " ".join(f"{k} {v:.4f}" for k, v in values.items())
        self.console.print(f"validation at step {step}: {shown}")

    def callbacks(self) -> VocoderCallbacks:
        from glowtts_cli.train.vocoder import VocoderCallbacks

        return VocoderCallbacks(
            on_check=self.counter("checking clips"), on_prepare=self.counter("preparing audio"),
            on_step=self.step, on_stage=self.stage, on_eval=self.evaluated,
        )  # fmt: skip


def _exclude_ids(path: Path | None) -> list[str]:
    """Utterance ids from a file of ``id`` or ``id|text`` lines."""
    if path is None:
        return []
    from glowtts_cli.errors import ConfigError

    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read --exclude file {path}: {e}") from e
    return [line.split("|", 1)[0].strip() for line in lines if line.strip()]


@app.command("train")
def train(
    data: Path = typer.Argument(..., help="Dataset folder (any layout `dataset check` reads)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (re-run to resume)."),
    base: str | None = typer.Option(None, "--from", help="Vocos vocoder folder to fine-tune."),
    config: str = typer.Option("small", "--config", help="Size (new runs): base, small, tiny."),
    steps: int | None = typer.Option(None, "--steps", help="Total steps. [default: 20000]"),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Segments per step. [16]"),
    exclude: Path | None = typer.Option(None, "--exclude", help="File of ids to leave out."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="CPU threads for torch."),
    teacher: str | None = typer.Option(
        None, "--teacher", help="Distil: learn this vocoder's output (universal, or a folder)."
    ),
    teacher_clips: int = typer.Option(
        0, "--teacher-clips", min=0, help="Clips the teacher renders (0 = all)."
    ),
) -> None:
    """Train a Vocos vocoder (no GAN: mel, multi-resolution STFT and phase-aware losses)."""
    import dataclasses

    from glowtts_cli.cli.train import _device
    from glowtts_cli.config import VocoderTrainConfig
    from glowtts_cli.train import vocoder as runs

    train_cfg = VocoderTrainConfig()
    if batch_size is not None:
        train_cfg = dataclasses.replace(train_cfg, batch_size=batch_size)
    with ExitStack() as stack:
        display = _VocoderDisplay(stack)
        step, folder = runs.train(
            out, data, device=_device(device, threads), calls=display.callbacks(),
            max_steps=steps, preset=config, base_vocoder=base, train=train_cfg,
            exclude=_exclude_ids(exclude), teacher=teacher, teacher_clips=teacher_clips,
        )  # fmt: skip
    err_console().print(f"[green]done:[/] {step} steps")
    if folder is not None:
        err_console().print(f"vocoder: {folder}")
        err_console().print(f'try:   glowtts say "Hello there." --vocoder {folder} --play')


@app.command("export")
def export(
    run: Path = typer.Argument(..., help="Vocoder run folder."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder. [default: RUN/vocoder]"),
    which: str = typer.Option("best", "--which", help="best (lowest validation mel L1) or last."),
) -> None:
    """Write a vocoder folder (vocoder.safetensors + config.json) from a run's checkpoint."""
    from glowtts_cli.train.vocoder import export as run_export

    with progress_callback("exporting"):
        folder = run_export(run, out, which=which)
    err_console().print(f"[green]vocoder:[/] {folder}")
