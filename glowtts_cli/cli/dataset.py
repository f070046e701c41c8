"""``glowtts dataset check|prepare``: find every problem in a dataset before training on it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from glowtts_cli.cli.console import err_console, issue_table, progress_callback

app = typer.Typer(help="Check and prepare training datasets.", no_args_is_help=True)


@app.command("check")
def check(
    folder: Path = typer.Argument(
        ..., help="Dataset folder (LJSpeech layout, audio+.txt, or CSV)."
    ),
    voice: str | None = typer.Option(
        None, "--voice", help="Check the transcripts against this voice's front end."
    ),
    language: str = typer.Option("en-us", "--language", help="espeak language when no --voice."),
    as_json: bool = typer.Option(False, "--json", help="Print the issues as JSON on stdout."),
) -> None:
    """Report every problem of a dataset at once; exit 1 if training could not go on."""
    from glowtts_cli.config import TextConfig
    from glowtts_cli.data.validate import check_dataset
    from glowtts_cli.text.frontend import TextFrontend
    from glowtts_cli.text.symbols import default_symbols

    if voice is not None:
        from glowtts_cli.hub import resolve
        from glowtts_cli.voice_folder import read_voice_config

        text = read_voice_config(resolve(voice).path).text
    else:
        text = TextConfig(language=language, symbols=default_symbols("espeak"))
    with progress_callback("checking clips") as on_progress:
        report = check_dataset(folder, TextFrontend(text), on_progress=on_progress)
    s = report.summary
    if as_json:
        rows = [{"where": i.where, "problem": i.problem, "severity": i.severity, **i.details}
                for i in report.issues]  # fmt: skip
        data = {"ok": report.ok, "issues": rows, "hours": s.hours, "clips": s.clips,
                "speakers": list(s.speakers)}  # fmt: skip
        typer.echo(json.dumps(data, indent=2))
    elif report.issues:
        err_console().print(issue_table(report.issues))
    from rich.table import Table  # here: `glowtts say` never draws one

    summary = Table.grid(padding=(0, 2))
    summary.add_row("layout", s.layout, "clips", f"{s.clips} ({s.usable_clips} usable)")
    summary.add_row("hours", f"{s.hours:.2f} ({s.usable_hours:.2f} usable)",
                    "speakers", ", ".join(s.speakers) or "1")  # fmt: skip
    summary.add_row("errors", str(s.errors), "warnings", str(s.warnings))
    err_console().print(summary)
    if not report.ok:
        err_console().print("[red]training cannot start until the errors are fixed[/]")
        raise typer.Exit(1)
    err_console().print("[green]ready for training[/]")


@app.command("prepare")
def prepare(
    folder: Path = typer.Argument(..., help="Dataset folder."),
    run: Path = typer.Option(..., "--run", help="Run folder; features go to RUN/prepared/."),
    voice: str | None = typer.Option(None, "--voice", help="Prepare for this voice's front end."),
    language: str = typer.Option("en-us", "--language", help="espeak language when no --voice."),
) -> None:
    """Compute (or reuse) the features training needs; reruns only redo what changed."""
    from glowtts_cli.config import AudioConfig, TextConfig
    from glowtts_cli.data.prepare import prepare_dataset
    from glowtts_cli.text.symbols import default_symbols

    if voice is not None:
        from glowtts_cli.hub import resolve
        from glowtts_cli.voice_folder import read_voice_config

        cfg = read_voice_config(resolve(voice).path)
        text, audio = cfg.text, cfg.audio
    else:
        text = TextConfig(language=language, symbols=default_symbols("espeak"), add_blank=True)
        audio = AudioConfig()
    with progress_callback("preparing") as on_progress:
        result = prepare_dataset(folder, run, text=text, audio=audio, on_progress=on_progress)
    err_console().print(
        f"prepared {len(result.train)} training + {len(result.val)} validation clips "
        f"({result.computed} computed, {result.reused} reused) in {result.directory}"
    )
