"""The ``glowtts`` command: a typer app whose ``main()`` is the error boundary.

Commands parse arguments, build option dataclasses, call the library and render results; heavy
modules (torch) are imported inside the command functions so ``glowtts --help`` stays instant.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from glowtts_cli._version import __version__
from glowtts_cli.cli.console import err_console, print_error
from glowtts_cli.errors import GlowTTSError

app = typer.Typer(
    name="glowtts",
    help="Local text-to-speech with Glow-TTS: speak, fine-tune and share voices.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: "[default: 8]" and "repo[@rev]" stay as written
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"glowtts {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for every error."),
) -> None:
    """Local text-to-speech with Glow-TTS: speak, fine-tune and share voices."""
    if debug:
        os.environ["GLOWTTS_DEBUG"] = "1"


def _debug() -> bool:
    return os.environ.get("GLOWTTS_DEBUG", "") not in ("", "0") or "--debug" in sys.argv


def main() -> None:
    """Script entry point: expected errors print one line (exit 1), Ctrl-C exits 130."""
    try:
        # Without standalone mode typer *returns* exit codes instead of raising them, and turns
        # Ctrl-C (KeyboardInterrupt) into a returned 130: dropping them would exit 0.
        code = app(standalone_mode=False)
        if code == 130:
            raise KeyboardInterrupt
        if isinstance(code, int) and code != 0:
            raise typer.Exit(code)
    except GlowTTSError as e:
        if _debug():
            raise
        print_error(e)
        sys.exit(1)
    except KeyboardInterrupt:
        if _debug():
            raise
        err_console().print("interrupted")
        sys.exit(130)
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", None)
        if code is None:
            code = getattr(e, "code", 0)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Abort:
        err_console().print("aborted")
        sys.exit(130)
    except typer.TyperException as e:  # usage errors (typer 0.28 raises its own click's)
        sys.exit(_usage_error(e))


def _usage_error(e: typer.TyperException) -> int:
    """Render a usage error as one ``error:`` line naming the command's --help; its exit code.

    typer 0.28 bundles click as ``typer._click``: every click exception derives from the public
    ``typer.TyperException``, which is what is caught here (``click.ClickException`` is not).
    A bare group (``glowtts voices``) shows its help instead, as click does.
    """
    if type(e).__name__ == "NoArgsIsHelpError":  # typer has printed the help already
        message = e.format_message().strip()
        if message:
            typer.echo(message, err=True)
        return 2
    ctx = getattr(e, "ctx", None)
    command = ctx.command_path if ctx is not None else _command_path(sys.argv[1:])
    message = " ".join(e.format_message().split())
    if type(e).__name__ == "NoSuchOption" and not getattr(e, "option_name", "--").startswith("--"):
        message += "; an argument that starts with '-' goes after `--`"
    err_console().print(
        f"[bold red]error:[/] {escape(message)} (see `{escape(command)} --help`)",
        markup=True,
        highlight=False,
    )
    code = getattr(e, "exit_code", 2)
    return code if isinstance(code, int) else 2


def _command_path(argv: list[str]) -> str:
    """``glowtts voices info`` from the command line, for errors raised before a context exists."""
    words = ["glowtts"]
    command: object = typer.main.get_command(app)
    for token in argv:
        commands = getattr(command, "commands", None)
        if isinstance(commands, dict) and token in commands:
            words.append(token)
            command = commands[token]
        elif not token.startswith("-"):
            break
    return " ".join(words)


def _register() -> None:
    from glowtts_cli.cli import dataset, say, serve, train, vocoder, voices

    app.command("say")(say.say)
    app.command("serve")(serve.serve)
    app.add_typer(voices.app, name="voices")
    app.add_typer(dataset.app, name="dataset")
    app.add_typer(vocoder.app, name="vocoder")
    app.command("train")(train.train)
    app.command("finetune")(train.finetune)
    app.command("export")(train.export)


_register()
