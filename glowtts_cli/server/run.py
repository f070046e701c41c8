"""Run the app with uvicorn: in the foreground (``glowtts serve``) or in a thread (tests).

The listening socket is bound here, before uvicorn starts, so a busy port is a clear
``ConfigError`` and a port of 0 picks a free one whose number is known at once.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from glowtts_cli.errors import ConfigError

LOOPBACK = ("127.0.0.1", "::1", "localhost")
"""Hosts that only this machine can reach."""


def allowed_hosts(host: str, extra: list[str]) -> tuple[str, ...]:
    """Host names a server bound to ``host`` answers to: the loopback names (and ``extra``) on
    loopback, only ``extra`` elsewhere (empty = any name)."""
    names = [name.strip().strip("[]").lower() for name in extra]
    if host in LOOPBACK:
        names = [*LOOPBACK, *names]
    return tuple(dict.fromkeys(n for n in names if n))


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or ConfigError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, IndexError) as e:
        raise ConfigError(f"Cannot listen on {host}: {e}.", hint="Check --host.") from e
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {e.strerror or e}.",
            hint="Another program may use that port; choose another with --port.",
        ) from e
    sock.set_inheritable(True)
    return sock


def _config(app: ASGIApp) -> uvicorn.Config:
    # Logging is the caller's (glowtts serve sends it to stderr); uvicorn's access log is replaced
    # by server.access_log, which leaves the query string (the text) out.
    return uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=5)


def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve on a bound socket until SIGINT/SIGTERM."""
    uvicorn.Server(_config(app)).run(sockets=[sock])


class BackgroundServer:
    """The app on ``host``:``port`` (0 = a free port) in a daemon thread; a context manager."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = bind(host, port)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self._server = uvicorn.Server(_config(app))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:5002``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> BackgroundServer:
        """Start and wait until it accepts requests."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._server.started:
            raise RuntimeError("the server did not start")
        return self

    def stop(self) -> None:
        """Ask it to finish and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
