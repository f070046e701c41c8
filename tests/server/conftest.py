"""Fixtures for the HTTP server: the real ``glowtts serve`` in a subprocess on a free loopback port,
and in-process servers (uvicorn in a thread) for settings a test needs of its own."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.httpkit import ServeProcess

# The command function itself, as `glowtts serve` runs it (typer parses the same options).
SERVE = [
    sys.executable,
    "-c",
    "import typer; from glowtts_cli.cli.serve import serve; typer.run(serve)",
]
READY = re.compile(r"serving .* at http://127\.0\.0\.1:(\d+) ")


def _drain(stream: Any, into: list[str]) -> None:
    for line in iter(stream.readline, b""):
        into.append(line.decode("utf-8", "replace"))


@pytest.fixture(scope="session")
def served(tiny_voice_dir: Path, tiny_multispeaker_voice_dir: Path) -> Iterator[ServeProcess]:
    """``glowtts serve`` with the tiny voice (default) and the three-speaker one, port 0."""
    args = [
        "--port",
        "0",
        "--voice",
        str(tiny_voice_dir),
        "--voice",
        str(tiny_multispeaker_voice_dir),
    ]
    process = subprocess.Popen(
        [*SERVE, *args, "--device", "cpu", "--max-chars", "2000"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    port = 0
    while not port and time.monotonic() < deadline:
        line = process.stderr.readline().decode("utf-8", "replace")
        if not line and process.poll() is not None:
            break
        lines.append(line)
        match = READY.search(line)
        port = int(match.group(1)) if match else 0
    if not port:
        process.kill()
        pytest.fail("glowtts serve did not start:\n" + "".join(lines))
    server = ServeProcess(process, port, lines)
    threading.Thread(target=_drain, args=(process.stderr, server.stderr), daemon=True).start()
    yield server
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def tiny_voices(tiny_voice_dir: Path, tiny_multispeaker_voice_dir: Path) -> list[tuple[str, Any]]:
    """The two tiny voices loaded in this process (spec, Voice), for in-process servers."""
    from glowtts_cli.api import Voice

    return [
        (str(path), Voice.load(path, device="cpu"))
        for path in (tiny_voice_dir, tiny_multispeaker_voice_dir)
    ]
