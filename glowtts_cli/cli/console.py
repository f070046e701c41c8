"""The shared stderr console and how errors are rendered to users."""

from __future__ import annotations

import functools

from rich.console import Console
from rich.markup import escape

from glowtts_cli.errors import GlowTTSError


@functools.cache
def err_console() -> Console:
    """Messages, tables and progress go to stderr; stdout carries data only."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(error: GlowTTSError) -> None:
    """Render an expected error as one ``error:`` line plus an optional ``hint:`` line."""
    console = err_console()
    console.print(f"[bold red]error:[/] {escape(error.message)}", markup=True, highlight=False)
    if error.hint:
        console.print(f"[yellow]hint:[/] {escape(error.hint)}", markup=True, highlight=False)
