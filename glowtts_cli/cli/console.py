"""The shared stderr console and how errors are rendered to users."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.markup import escape

from glowtts_cli.errors import DatasetError, GlowTTSError, Issue

if TYPE_CHECKING:
    from rich.table import Table

# rich.progress and rich.table are imported where a bar or a table is drawn: a `glowtts say`
# that draws neither does not pay their 10 ms of start-up.

_Command = TypeVar("_Command", bound=Callable[..., Any])


def naming_flags(*names: str) -> Callable[[_Command], _Command]:
    """Decorate a command whose library errors name parameters: they are re-raised naming the
    command's flags. ``noise_scale must be ...`` becomes ``--noise-scale must be ...``,
    ``engine='torch'`` becomes ``--engine torch`` and ``leave device out`` ``leave --device out``.
    """
    names_re = "|".join(map(re.escape, names))
    must = re.compile(r"(?<![.\w])(" + names_re + r")(?= must\b)")
    value = re.compile(r"(?<![.\w-])(" + names_re + r")=(?:'([^']*)'|([\w.:-]+))")
    leave = re.compile(r"\b([Ll]eave) (" + names_re + r") out\b")

    def flag(name: str) -> str:
        return "--" + name.replace("_", "-")

    def to_flags(text: str) -> str:
        text = must.sub(lambda m: flag(m[1]), text)
        text = value.sub(lambda m: f"{flag(m[1])} {m[2] if m[2] is not None else m[3]}", text)
        return leave.sub(lambda m: f"{m[1]} {flag(m[2])} out", text)

    def decorate(command: _Command) -> _Command:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except GlowTTSError as e:
                e.message = to_flags(e.message)
                e.hint = to_flags(e.hint) if e.hint else e.hint
                raise

        return wrapper  # type: ignore[return-value]

    return decorate


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
    if isinstance(error, DatasetError) and error.issues:
        console.print(issue_table(error.issues))


def issue_table(issues: Sequence[Issue]) -> Table:
    """Every issue, one row each: severity, where, what, and its kind."""
    from rich.table import Table

    table = Table(title=f"{len(issues)} issue(s)", title_justify="left")
    for column in ("severity", "where", "problem", "kind"):
        table.add_column(column, overflow="fold")
    for issue in issues:
        colour = "red" if issue.severity == "error" else "yellow"
        table.add_row(
            f"[{colour}]{issue.severity}[/]",
            escape(issue.where),
            escape(issue.problem),
            issue.details.get("kind", ""),
        )
    return table


@contextlib.contextmanager
def progress_callback(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr driven by ``on_progress(done, total)`` callbacks (no bar,
    and a callback that does nothing, where stderr is not a terminal)."""
    if not err_console().is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[progress.description]{description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


class StageProgress:
    """Stages, counters and a training bar with an info column, on stderr: the display that
    ``train``, ``finetune`` and ``vocoder train`` share (each formats its own step line)."""

    def __init__(self, stack: contextlib.ExitStack, *, disable: bool = False) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.console = err_console()
        columns = (
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
        )  # fmt: skip
        self.progress = stack.enter_context(
            Progress(*columns, console=self.console, disable=disable)
        )
        self.task: Any = None

    def stage(self, name: str) -> None:
        self.console.print(f"[bold]{name}[/]")

    def show(self, label: str, done: int, total: int, info: str = "") -> None:
        """Progress of ``label`` (a new bar when the label changes)."""
        if self.task is None or self.progress.tasks[self.task].description != label:
            self.task = self.progress.add_task(label, total=total, info="")
        self.progress.update(self.task, completed=done, total=total, info=info)

    def counter(self, label: str) -> Callable[[int, int], None]:
        return lambda done, total: self.show(label, done, total)
