"""``glowtts serve``: the HTTP API and the try-a-voice page (needs the ``server`` extra)."""

from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING

import typer

from glowtts_cli.cli.console import err_console

if TYPE_CHECKING:
    from glowtts_cli.server.app import ServerSettings


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on; 0.0.0.0 opens it to the network."
    ),
    port: int = typer.Option(5002, "--port", min=0, max=65535, help="TCP port (0: any free one)."),
    voice: list[str] | None = typer.Option(
        None,
        "--voice",
        "-v",
        help="Voice to serve: folder, catalog name or org/repo[@rev]; repeat for more, the first "
        "is the default. [default: bundled]",
        show_default=False,
    ),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    vocoder: str | None = typer.Option(
        None, "--vocoder", help="Vocoder override for every voice. [default: each voice's]"
    ),
    max_chars: int = typer.Option(4096, "--max-chars", min=1, help="Longest accepted text."),
    max_queue: int = typer.Option(
        16, "--max-queue", min=0, help="Requests that may wait; more get 503 + Retry-After."
    ),
    max_audio_seconds: float = typer.Option(
        600.0, "--max-audio-seconds", min=1.0, help="Longest audio one request may make (413)."
    ),
    max_compute_seconds: float = typer.Option(
        300.0,
        "--max-compute-seconds",
        min=1.0,
        help="Longest time one request may hold the synthesis worker (then 503).",
    ),
    allow_host: list[str] | None = typer.Option(
        None,
        "--allow-host",
        help="Another host name requests may use (repeat for more). A loopback server "
        "answers only to 127.0.0.1, localhost and ::1 otherwise. [default: none]",
        show_default=False,
    ),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="CPU threads for synthesis. [default: cores, max 4]"
    ),
) -> None:
    """Serve voices over HTTP: OpenAI-compatible /v1/audio/speech, /api/tts and a page at /."""
    from glowtts_cli.errors import ConfigError
    from glowtts_cli.voices import default_voice

    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"glowtts serve needs {' and '.join(missing)}, which are not installed.",
            hint='Install the server extra: pip install "glowtts-cli[server]".',
        )
    specs = list(voice or []) or [default_voice()]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from glowtts_cli.server.app import ServerSettings
    from glowtts_cli.server.run import allowed_hosts

    settings = ServerSettings(
        max_chars=max_chars,
        max_queue=max_queue,
        max_audio_seconds=max_audio_seconds,
        max_compute_seconds=max_compute_seconds,
        allowed_hosts=allowed_hosts(host, allow_host or []),
    )
    _serve(host, port, specs, device, vocoder, threads, settings)


def _serve(
    host: str,
    port: int,
    specs: list[str],
    device: str,
    vocoder: str | None,
    threads: int | None,
    settings: ServerSettings,
) -> None:
    from glowtts_cli.server.app import create_app
    from glowtts_cli.server.registry import VoiceRegistry
    from glowtts_cli.server.run import LOOPBACK, bind
    from glowtts_cli.server.run import serve as run_server

    console = err_console()
    sock = bind(host, port)  # before loading voices: a busy port fails in a second, not a minute
    console.print(f"loading {len(specs)} voice(s)…")
    registry = VoiceRegistry.load(specs, device=device, vocoder=vocoder, threads=threads)
    app = create_app(registry, settings)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}"
    if host not in LOOPBACK:
        console.print(
            f"[yellow]warning:[/] listening on {host}: anyone who can reach this machine can "
            "use the server (there is no authentication)."
        )
    voices = ", ".join(v.id for v in registry.voices)
    console.print(f"serving {voices} at {url} (page: {url}/, OpenAI base URL: {url}/v1)")
    run_server(app, sock)
