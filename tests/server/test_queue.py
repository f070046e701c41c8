"""The bounded queue: a burst beyond it gets 503 + Retry-After, accepted requests complete, and
a client that hangs up mid-stream gives its slot back. Servers run in-process."""

from __future__ import annotations

import http.client
import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import soundfile as sf

from glowtts_cli.server.app import ServerSettings, create_app
from glowtts_cli.server.registry import VoiceRegistry
from glowtts_cli.server.run import BackgroundServer
from tests.server.httpkit import Reply, call

LONG = " ".join(f"Sentence number {i} is here." for i in range(12))


@pytest.fixture
def small_server(tiny_voices: list[tuple[str, Any]]) -> Iterator[BackgroundServer]:
    """One request synthesizing and one waiting; everything else is refused."""
    app = create_app(VoiceRegistry(tiny_voices), ServerSettings(max_queue=1))
    with BackgroundServer(app) as server:
        yield server


def health(port: int) -> dict[str, Any]:
    queue: dict[str, Any] = call(port, "GET", "/health").json()["queue"]
    return queue


def settled_health(port: int, timeout: float = 10.0) -> dict[str, Any]:
    """The queue once the last slot is released: the server frees it just after the client has
    read the final bytes, so the count may lag the replies by a moment."""
    deadline = time.monotonic() + timeout
    while (queue := health(port))["active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return queue


def test_burst_beyond_the_queue_gets_503(small_server: BackgroundServer) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": LONG, "response_format": "wav"}
    with ThreadPoolExecutor(10) as pool:
        replies: list[Reply] = list(
            pool.map(lambda _: call(small_server.port, "POST", "/v1/audio/speech", body), range(10))
        )
    ok = [r for r in replies if r.status == 200]
    busy = [r for r in replies if r.status == 503]
    assert len(ok) + len(busy) == len(replies), [r.status for r in replies]
    assert len(ok) >= 2 and len(busy) >= 1
    for reply in busy:
        assert int(reply.headers["retry-after"]) >= 1
        assert reply.json()["error"]["code"] == "server_busy"
    for reply in ok:
        samples, rate = sf.read(io.BytesIO(reply.body), dtype="float32")
        assert rate == 22050 and len(samples) > 0.5 * rate
    assert settled_health(small_server.port) == {
        "active": 0,
        "capacity": 2,
        "refused": len(busy),
        "abandoned": 0,
    }


def test_a_client_that_hangs_up_frees_its_slot(small_server: BackgroundServer) -> None:
    text = " ".join(f"This is sentence number {i}." for i in range(60))
    body = {"model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"}
    start = time.perf_counter()
    assert call(small_server.port, "POST", "/v1/audio/speech", body).status == 200
    whole = time.perf_counter() - start

    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", small_server.port, timeout=30)
    conn.request("POST", "/v1/audio/speech", json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200 and response.read1(4096)
    assert health(small_server.port)["active"] == 1
    conn.close()  # hang up with most of the text unsynthesized
    while health(small_server.port)["active"] and time.perf_counter() - start < 30:
        time.sleep(0.02)
    freed = time.perf_counter() - start
    assert health(small_server.port)["active"] == 0
    assert freed < 0.5 * whole, (freed, whole)  # synthesis stopped; it did not run to the end
    assert call(small_server.port, "GET", "/api/tts?text=Still%20here.").status == 200


def test_a_request_that_leaves_while_queued_is_never_synthesized(
    small_server: BackgroundServer,
) -> None:
    text = " ".join(f"This is sentence number {i}." for i in range(140))  # about 4000 chars
    body = json.dumps({"model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"})
    headers = {"Content-Type": "application/json"}
    running = http.client.HTTPConnection("127.0.0.1", small_server.port, timeout=30)
    running.request("POST", "/v1/audio/speech", body, headers)
    first = running.getresponse()
    assert first.status == 200 and first.read1(4096)  # the worker is busy with this one
    waiting = http.client.HTTPConnection("127.0.0.1", small_server.port, timeout=30)
    waiting.request("POST", "/v1/audio/speech", body, headers)
    deadline = time.monotonic() + 10
    while health(small_server.port)["active"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    waiting.close()
    rest = first.read()
    running.close()
    assert len(rest) // 2 > 24000 * 5  # the first request ran to its end, undisturbed
    while health(small_server.port)["active"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert health(small_server.port)["abandoned"] == 1
