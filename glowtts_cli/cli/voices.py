"""``glowtts voices ...``: list, inspect, download, remove and publish voices."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from glowtts_cli.cli.console import err_console

app = typer.Typer(help="List, download, inspect and publish voices.", no_args_is_help=True)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


@app.command("list")
def list_voices(
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON on stdout."),
) -> None:
    """Show bundled, catalog and cached voices."""
    from glowtts_cli.voice_listing import voice_rows

    rows = voice_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        err_console().print("No voices installed, in the catalog or cached.")
        return
    from rich.table import Table  # here: `glowtts say` never draws one

    table = Table(title="Voices", title_justify="left")
    for column in ("name", "source", "offline", "size", "language", "speakers", "license"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["name"],
            r["source"],
            "yes" if r["available_offline"] else "no",
            _human(r["bytes"]) if r["bytes"] else "-",
            r["language"],
            ", ".join(r["speakers"]) or "1",
            r["license"],
        )
    err_console().print(table)


@app.command("info")
def info(name: str = typer.Argument(..., help="Voice name, folder or org/repo[@rev].")) -> None:
    """Show a voice's configuration and model card."""
    from glowtts_cli.config import to_dict
    from glowtts_cli.hub import resolve
    from glowtts_cli.voice_folder import check_voice

    resolved = resolve(name)
    cfg = check_voice(resolved.path)  # the weights too: a truncated file is an error, not info
    console = err_console()
    console.print(f"[bold]{cfg.name}[/] ({resolved.origin}) — {resolved.path}")
    console.print(f"language {cfg.language} · license {cfg.license} · {cfg.description}")
    console.print(f"speakers: {', '.join(cfg.speakers) or 'single speaker'}")
    console.print(
        f"front end: {cfg.text.phonemizer} ({len(cfg.text.symbols)} symbols, "
        f"blank={'yes' if cfg.text.add_blank else 'no'}) · vocoder: {cfg.vocoder.kind} "
        f"({cfg.vocoder.source})"
    )
    for file in sorted(p for p in Path(resolved.path).iterdir() if p.is_file()):
        console.print(f"  {file.name:24s} {_human(file.stat().st_size)}")
    typer.echo(json.dumps(to_dict(cfg.inference), indent=2))


@app.command("download")
def download(name: str = typer.Argument(..., help="Catalog name or org/repo[@rev].")) -> None:
    """Download a voice into the local Hugging Face cache so it works offline."""
    from glowtts_cli.hub import resolve
    from glowtts_cli.voice_folder import check_voice

    resolved = resolve(name)
    check_voice(resolved.path)  # "ready" only for a voice that loads
    err_console().print(f"[green]ready:[/] {name} → {resolved.path}")


@app.command("remove")
def remove(
    name: str = typer.Argument(..., help="Catalog name or org/repo[@rev]."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove several revisions without asking."),
) -> None:
    """Delete a downloaded voice from the local cache (every revision, or just @rev), with
    the ONNX graphs exported for it; for a bundled voice, just its exported graph."""
    from glowtts_cli.errors import ConfigError, GlowTTSError
    from glowtts_cli.hub_cache import (
        cached_repo_dir,
        cached_revisions,
        remove_cached,
        suggest_cached,
    )
    from glowtts_cli.voices import bundled_voice_dir, load_catalog

    entry = load_catalog().get(name)
    if entry is not None and entry.bundled:
        graphs_freed = _remove_graphs(_cached_graphs([bundled_voice_dir(entry)]))
        if graphs_freed:
            err_console().print(
                f"removed the exported ONNX graph of {name}: {_human(graphs_freed)} freed "
                "(the voice itself ships inside the package)"
            )
            return
        raise GlowTTSError(
            f"'{name}' ships inside the package and cannot be removed.",
            hint="Bundled voices take no cache space; `pip uninstall glowtts-cli` removes them.",
        )
    if entry is not None:  # a catalog voice: just its pinned revision
        repo_id, revision = entry.repo_id, entry.revision
    else:
        repo_id, at, revision = name.partition("@")
        if at and not revision.strip():
            raise ConfigError(
                f"'{name}' ends with '@' but names no revision.",
                hint=f"Give one after '@', or remove every cached revision with `{repo_id}`.",
            )
    found = cached_revisions(repo_id, revision or None)
    if len(found) > 1 and not yes:
        _confirm_removal(repo_id, found)
    graphs = _cached_graphs([d for c in found if (d := cached_repo_dir(repo_id, c))])
    count, freed = remove_cached(repo_id, revision or None) if found else (0, 0)
    freed += _remove_graphs(graphs) if count else 0
    if not count:
        close = suggest_cached(name)
        raise GlowTTSError(
            f"'{name}' is not in the local cache."
            + (f" Did you mean {', '.join(map(repr, close))}?" if close else ""),
            hint="See the cached voices with `glowtts voices list`.",
        )
    err_console().print(f"removed {repo_id}: {count} revision(s), {_human(freed)} freed")


def _cached_graphs(voice_folders: list[Path]) -> list[Path]:
    """The cached ONNX exports (``export-onnx`` without ``--out``) of these voice folders."""
    from glowtts_cli.onnx.runtime import cached_graph_entry

    entries = [e for e in map(cached_graph_entry, voice_folders) if e is not None]
    return [folder for folder, _ in entries if folder.is_dir()]


def _remove_graphs(graphs: list[Path]) -> int:
    """Delete these graph folders; the bytes freed."""
    import shutil

    freed = 0
    for folder in graphs:
        freed += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        shutil.rmtree(folder, ignore_errors=True)
    return freed


def _confirm_removal(repo_id: str, revisions: list[str]) -> None:
    """Ask before deleting several revisions; without a terminal to ask on, refuse."""
    import sys

    from glowtts_cli.errors import GlowTTSError

    listed = ", ".join(r[:10] for r in revisions)
    if not sys.stdin.isatty():
        raise GlowTTSError(
            f"{repo_id} has {len(revisions)} cached revisions ({listed}); removing them all "
            "needs confirmation.",
            hint=f"Pass --yes to remove them all, or name one: {repo_id}@{revisions[0][:10]}.",
        )
    if not typer.confirm(f"Remove {len(revisions)} revisions of {repo_id} ({listed})?", err=True):
        err_console().print("nothing removed")
        raise typer.Exit(1)


@app.command("push")
def push(
    folder: Path = typer.Argument(..., help="Voice folder to publish."),
    repo_id: str = typer.Argument(..., help="Target Hub repo, org/name."),
    private: bool = typer.Option(False, "--private", help="Create the repo as private."),
) -> None:
    """Publish a voice folder to the Hugging Face Hub (creates the repo if needed)."""
    from glowtts_cli.hub_publish import push_voice

    pushed = push_voice(folder, repo_id, private=private)
    spec = f"{pushed.repo_id}@{pushed.commit}"
    err_console().print(
        f"[green]published:[/] {spec}  (get it with: glowtts voices download {spec})"
    )
    typer.echo(spec)


@app.command("import-official")
def import_official(
    checkpoint: Path = typer.Argument(..., help="Official glow-tts checkpoint (.pth)."),
    out: Path = typer.Option(..., "--out", "-o", help="Voice folder to create."),
    blank: bool | None = typer.Option(
        None, "--blank/--no-blank", help="Blank-token model? [default: detected]"
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Official config JSON for non-base models."
    ),
    name: str = typer.Option("glowtts-ljspeech", "--name", help="Name of the new voice."),
    vocoder: str = typer.Option(
        "ljspeech", "--vocoder", help="Bundled HiFi-GAN: ljspeech or universal."
    ),
) -> None:
    """Turn an official glow-tts LJSpeech checkpoint into a voice folder."""
    from glowtts_cli.official_voice import import_official as run_import

    folder = run_import(checkpoint, out, blank=blank, config=config, name=name, vocoder=vocoder)
    err_console().print(
        f'[green]imported:[/] {folder}  (try: glowtts say "Hello." --voice {folder} --play)'
    )


@app.command("export-onnx")
def export_onnx(
    name: str = typer.Argument(..., help="Voice name, folder or org/repo[@rev]."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder for model.onnx and its config. Default: a voice folder's own; for a "
        "bundled, catalog or Hub voice the user cache, where --voice NAME finds it.",
    ),
) -> None:
    """Export a voice as one ONNX graph with Piper's interface (model.onnx + model.onnx.json).

    `glowtts say` then runs it without torch (--engine auto or onnx)."""
    from glowtts_cli.onnx.export import export_onnx as run_export

    path = run_export(name, out)
    err_console().print(f"[green]exported:[/] {path} ({_human(path.stat().st_size)})")
