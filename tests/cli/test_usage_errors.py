"""Issue 18 item 6: every usage error of every command is one ``error:`` line and exit 2.

The commands, their options and the options' types are discovered from the app itself, so a new
command or option is covered without editing this file, and a typer release that changes what it
raises (typer 0.28 bundles click as ``typer._click``) fails here instead of in users' hands.
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from glowtts_cli.cli import app, main


def _commands() -> Iterator[tuple[list[str], Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    yield from walk(typer.main.get_command(app), [])


COMMANDS = list(_commands())


def _required(command: Any) -> list[str]:
    """Placeholder values for the required arguments and options, so parsing reaches the rest."""
    words: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        words += ["x"] if type(param).__name__ == "TyperArgument" else [param.opts[0], "x"]
    return words


def _numeric_options() -> Iterator[tuple[list[str], str, type, Any]]:
    for path, command in COMMANDS:
        hints = typing.get_type_hints(command.callback)
        for param in command.params:
            if type(param).__name__ != "TyperOption" or param.is_flag:
                continue
            kind = next((t for t in (int, float) if t in typing.get_args(hints[param.name])
                         or hints[param.name] is t), None)  # fmt: skip
            if kind is not None:
                yield path, param.opts[0], kind, getattr(param.type, "min", None)


NUMERIC = list(_numeric_options())


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> str:
    monkeypatch.setattr(sys, "argv", ["glowtts", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, (argv, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
    assert "--help`" in lines[0], err
    return lines[0]


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"say", "serve", "train", "finetune", "export", "voices remove", "dataset check"} <= (
        names
    )
    assert len(NUMERIC) >= 10, NUMERIC


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_issue_18_unknown_option(path: list[str], capsys: Any, monkeypatch: Any) -> None:
    command = dict((tuple(p), c) for p, c in COMMANDS)[tuple(path)]
    line = usage_error([*path, *_required(command), "--bogus"], capsys, monkeypatch)
    assert "No such option: --bogus" in line and f"glowtts {' '.join(path)} --help" in line


@pytest.mark.parametrize(
    "path", [p for p, c in COMMANDS if any(q.required for q in c.params)], ids=" ".join
)
def test_issue_18_missing_argument(path: list[str], capsys: Any, monkeypatch: Any) -> None:
    assert "Missing" in usage_error(path, capsys, monkeypatch)


@pytest.mark.parametrize(
    ("path", "flag", "kind", "minimum"), NUMERIC, ids=[f"{' '.join(p)} {f}" for p, f, *_ in NUMERIC]
)
def test_issue_18_bad_numbers(
    path: list[str], flag: str, kind: type, minimum: Any, capsys: Any, monkeypatch: Any
) -> None:
    command = dict((tuple(p), c) for p, c in COMMANDS)[tuple(path)]
    bad = ["abc", "1.5"] if kind is int else ["abc", "nan-ish"]
    if minimum is not None:
        bad.append(str(minimum - 1))
    for value in bad:
        line = usage_error([*path, *_required(command), flag, value], capsys, monkeypatch)
        assert f"'{flag}'" in line, line


@pytest.mark.parametrize(
    "argv",
    [
        ["say", "x", "--device"],  # an option without its value: raised before a context exists
        ["voices", "info", "-org/name"],
        ["serve", "--port", "-1"],
        ["--bogus"],
        ["nosuchcommand"],
    ],
)
def test_issue_18_other_usage_errors(argv: list[str], capsys: Any, monkeypatch: Any) -> None:
    line = usage_error(argv, capsys, monkeypatch)
    if argv[0] in ("say", "voices"):
        assert f"glowtts {' '.join(argv[:2] if argv[0] == 'voices' else argv[:1])} --help" in line
    if "-org/name" in argv:
        assert "after `--`" in line


def test_issue_18_installed_command(tmp_path: Path) -> None:
    """The script users run: one line on stderr, exit 2, nothing on stdout."""
    glowtts = shutil.which("glowtts")
    assert glowtts, "the glowtts command is not installed (pip install -e .)"
    for argv in (["say", "--seed", "1.5", "hi"], ["voices", "remove"], ["finetune", "--bogus"]):
        result = subprocess.run([glowtts, *argv], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and not result.stdout, result
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result


def test_typer_is_the_tested_release() -> None:
    """pyproject bounds typer to the series these tests ran against (0.29 costs every command
    0.13 s in pydantic; tests/onnx/test_engine.py notices pydantic in `glowtts say`)."""
    version = tuple(int(x) for x in typer.__version__.split(".")[:2])
    assert (0, 28) <= version < (0, 29), typer.__version__
    assert inspect.isclass(typer.TyperException)
