"""What a hostile client or web page must not get: the server's paths, unbounded work, requests
from other sites' pages (DNS rebinding, simple POST bodies)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from glowtts_cli.server.app import ServerSettings, create_app
from glowtts_cli.server.registry import VoiceRegistry
from glowtts_cli.server.run import BackgroundServer, allowed_hosts
from tests.server.httpkit import ServeProcess, call
from tests.server.test_queue import settled_health


def test_listings_and_errors_show_no_server_paths(
    served: ServeProcess, tiny_voice_dir: Path, tiny_multispeaker_voice_dir: Path
) -> None:
    reply = call(served.port, "GET", "/v1/voices")
    assert reply.status == 200
    text = reply.body.decode()
    for folder in (tiny_voice_dir, tiny_multispeaker_voice_dir):
        assert str(folder.parent) not in text
    specs = [v["spec"] for v in reply.json()["data"]]
    assert specs == [tiny_voice_dir.name, tiny_multispeaker_voice_dir.name]
    # The name shown is accepted as the voice; a near miss suggests no path.
    ok = call(served.port, "GET", f"/api/tts?text=Hi.&voice={tiny_voice_dir.name}")
    assert ok.status == 200 and ok.headers["x-voice"] == "tiny-test"
    miss = call(served.port, "GET", f"/api/tts?text=Hi.&voice={tiny_voice_dir.name}x")
    assert miss.status == 400 and str(tiny_voice_dir.parent) not in miss.body.decode()


# -- limits on work -------------------------------------------------------------------------------

TWO = "Hello there. How are you today?"
"""With the tiny voice and seed 0: 0.39 s, then 1.00 s in all (sentence silences included)."""
OPENAI = {"model": "tts-1", "voice": "tiny-test", "response_format": "wav", "seed": 0}


@contextmanager
def server(tiny_voices: list[tuple[str, Any]], **settings: Any) -> Iterator[BackgroundServer]:
    app = create_app(VoiceRegistry(tiny_voices), ServerSettings(**settings))
    with BackgroundServer(app) as running:
        yield running


def test_audio_beyond_the_cap_is_a_413_before_it_is_vocoded(
    tiny_voices: list[tuple[str, Any]],
) -> None:
    with server(tiny_voices, max_audio_seconds=0.6) as running:
        whole = call(running.port, "GET", "/api/tts?seed=0&text=" + TWO.replace(" ", "%20"))
        first = call(running.port, "POST", "/v1/audio/speech", {**OPENAI, "input": "Hello there."})
        assert first.status == 200  # one sentence fits
        health = settled_health(running.port)
    assert whole.status == 413, whole.body
    error = whole.json()["error"]
    assert error["code"] == "audio_too_long" and error["param"] == "input"
    assert "more than 0.6 s of audio" in error["message"] and "length_scale" in error["hint"]
    assert "retry-after" not in whole.headers
    assert health["active"] == 0


def test_a_stream_that_passes_the_cap_is_cut_short(tiny_voices: list[tuple[str, Any]]) -> None:
    """Its status is sent already: the stream ends without its final chunk, so the client sees
    an incomplete response (not a complete shorter one), and the server logs one line."""
    with server(tiny_voices, max_audio_seconds=0.2) as running:
        early = call(running.port, "POST", "/v1/audio/speech", {**OPENAI, "input": TWO})
    assert early.status == 413 and early.json()["error"]["code"] == "audio_too_long"
    with server(tiny_voices, max_audio_seconds=0.6) as running:
        conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
        body = json.dumps({**OPENAI, "input": TWO})
        conn.request("POST", "/v1/audio/speech", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        conn.close()
    assert len(cut.value.partial) > 0.3 * 22050 * 2  # the first sentence arrived


def test_compute_time_beyond_the_cap_is_a_503(tiny_voices: list[tuple[str, Any]]) -> None:
    with server(tiny_voices, max_compute_seconds=1e-6) as running:
        reply = call(running.port, "POST", "/v1/audio/speech", {**OPENAI, "input": TWO})
        health = settled_health(running.port)
    assert reply.status == 503
    error = reply.json()["error"]
    assert error["code"] == "compute_time_exceeded" and "1e-06 s" in error["message"]
    assert "retry-after" not in reply.headers  # waiting would not help
    assert health["active"] == 0


def test_settings_are_checked() -> None:
    for bad in ({"max_audio_seconds": 0}, {"max_compute_seconds": -1.0}):
        with pytest.raises(ValueError):
            ServerSettings(**bad)


# -- who may ask ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Host": "attacker.example:{port}"}, 403, "host_not_allowed"),
        ({"Host": "127.0.0.1.attacker.example"}, 403, "host_not_allowed"),
        ({"Host": "localhost:{port}"}, 200, None),
        ({"Host": "LOCALHOST"}, 200, None),
        ({"Host": "[::1]:{port}"}, 200, None),
        ({"Origin": "http://attacker.example"}, 403, "origin_not_allowed"),
        ({"Origin": "null"}, 403, "origin_not_allowed"),
        ({"Origin": "http://127.0.0.1:{port}"}, 200, None),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "origin_not_allowed"),
        ({"Sec-Fetch-Site": "same-origin"}, 200, None),
    ],
)
def test_a_loopback_server_answers_only_to_its_own_names(
    served: ServeProcess, headers: dict[str, str], status: int, code: str | None
) -> None:
    """DNS rebinding: a page on attacker.example whose name now points at 127.0.0.1 sends
    ``Host: attacker.example``; other sites' pages send their Origin or Sec-Fetch-Site."""
    headers = {k: v.format(port=served.port) for k, v in headers.items()}
    for method, path, body in (
        ("GET", "/v1/voices", None),
        ("POST", "/api/tts", {"text": "Hi.", "seed": 0}),
    ):
        reply = call(served.port, method, path, body=body, headers=headers)
        assert reply.status == status, (path, reply.body[:200])
        if code:
            assert reply.json()["error"]["code"] == code
            assert "Traceback" not in reply.body.decode()


def test_allowed_host_names() -> None:
    assert allowed_hosts("127.0.0.1", []) == ("127.0.0.1", "::1", "localhost")
    assert allowed_hosts("::1", ["TTS.local", "[fe80::1]"]) == (
        "127.0.0.1", "::1", "localhost", "tts.local", "fe80::1",
    )  # fmt: skip
    assert allowed_hosts("0.0.0.0", []) == ()  # open to the network: any name
    assert allowed_hosts("0.0.0.0", ["tts.example"]) == ("tts.example",)


def test_serve_threads_set_torch_threads(tiny_voice_dir: Path) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        VoiceRegistry.load([str(tiny_voice_dir)], device="cpu", warm_up=False, threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
