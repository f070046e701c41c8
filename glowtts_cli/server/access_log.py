"""One log line per request on the ``glowtts_cli.server`` logger (stderr under ``glowtts serve``).

The line has the client, method, path, status, bytes sent and seconds taken. The query string is
left out on purpose: ``/api/tts?text=...`` would otherwise write what users say into the log.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("glowtts_cli.server")


class AccessLog:
    """Pure ASGI middleware (it does not buffer streamed bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        sent = 0

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            client = scope.get("client") or ("-", 0)
            logger.info(
                "%s %s %s %s %dB %.3fs",
                client[0],
                scope["method"],
                scope["path"],
                status or "aborted",
                sent,
                time.perf_counter() - start,
            )
