"""``/api/tts``, error replies and request logging of the real ``glowtts serve`` process."""

from __future__ import annotations

import io
import time
import urllib.parse

import numpy as np
import pytest
import soundfile as sf

from tests.server.httpkit import Reply, ServeProcess, call

TEXT = "Hello there. How are you today?"


def read_wav(reply: Reply) -> tuple[np.ndarray, int]:
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"] == "audio/wav"
    samples, rate = sf.read(io.BytesIO(reply.body), dtype="float32")
    assert samples.ndim == 1 and len(samples) > 0
    return samples, rate


def query(**params: str) -> str:
    return "/api/tts?" + urllib.parse.urlencode(params)


def test_get_returns_a_complete_wav(served: ServeProcess) -> None:
    reply = call(served.port, "GET", query(text=TEXT))
    samples, rate = read_wav(reply)
    assert rate == 22050
    assert int(reply.headers["content-length"]) == len(reply.body)
    assert sf.info(io.BytesIO(reply.body)).frames == len(samples)  # exact sizes, not streamed
    assert reply.headers["content-disposition"].startswith("inline")


def test_post_bodies_and_speakers(served: ServeProcess) -> None:
    fixed = {"seed": "3", "noise_scale": "0.5"}
    got = call(served.port, "GET", query(text=TEXT, voice="tiny-test-2", speaker="spk1", **fixed))
    as_json = call(
        served.port,
        "POST",
        "/api/tts",
        body={
            "text": TEXT,
            "voice": "tiny-test-2",
            "speaker": "spk1",
            "seed": 3,
            "noise_scale": 0.5,
        },
    )
    by_index = call(
        served.port,
        "POST",
        "/api/tts",
        body={"text": TEXT, "voice": "tiny-test-2", "speaker": "1", **fixed},
    )
    other = call(served.port, "GET", query(text=TEXT, voice="tiny-test-2", speaker="spk2", **fixed))
    reference = read_wav(got)[0]
    assert np.array_equal(read_wav(as_json)[0], reference)
    assert np.array_equal(read_wav(by_index)[0], reference)  # speaker by index = by name
    assert not np.array_equal(read_wav(other)[0], reference)  # another speaker sounds different
    # Bodies any web page could send without asking (text, forms) are refused.
    for kind, body in (
        ("text/plain; charset=utf-8", TEXT.encode()),
        ("application/x-www-form-urlencoded", urllib.parse.urlencode({"text": TEXT}).encode()),
        ("multipart/form-data; boundary=x", b"--x--"),
    ):
        refused = call(served.port, "POST", "/api/tts", body=body, headers={"Content-Type": kind})
        assert refused.status == 415, kind
        assert refused.json()["error"]["code"] == "unsupported_media_type"


def test_download_and_stream_options(served: ServeProcess) -> None:
    download = call(served.port, "GET", query(text=TEXT, download="1", format="flac"))
    assert download.headers["content-disposition"] == 'attachment; filename="speech.flac"'
    assert sf.info(io.BytesIO(download.body)).format == "FLAC"
    streamed = call(served.port, "GET", query(text=TEXT, stream="1"))
    assert streamed.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in streamed.headers
    samples, rate = read_wav(streamed)
    assert rate == 22050 and len(samples) == (len(streamed.body) - 44) // 2


LONG = "word " * 401
BAD_REQUESTS = [
    # method, path, body, status, code, words in the message
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy"},
        400,
        "invalid_request",
        "input",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": "  "},
        400,
        "invalid_request",
        "empty",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "whisper-1", "voice": "alloy", "input": "Hi."},
        400,
        "model_not_found",
        "whisper-1",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": "aac"},
        400,
        "unsupported_format",
        "AAC",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": "Hi.", "speed": 9},
        400,
        "invalid_request",
        "between 0.25 and 4",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": "Hi.", "noise_scale": "x"},
        400,
        "invalid_request",
        "must be a number",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": "Hi.", "sped": 2},
        400,
        "invalid_request",
        "did you mean 'speed'",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "tiny-test", "input": "Hi.", "speaker": "spk1"},
        400,
        "speaker_not_found",
        "single speaker",
    ),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "/etc", "input": "Hi."},
        400,
        "voice_not_found",
        "not served",
    ),
    ("POST", "/v1/audio/speech", b"{not json", 400, "invalid_request", "not valid JSON"),
    (
        "POST",
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": LONG},
        413,
        "text_too_long",
        "at most 2000",
    ),
    ("GET", "/api/tts?voice=alloy", None, 400, "invalid_request", "'text'"),
    ("GET", "/api/tts?text=%E2%80%A6%E2%80%A6", None, 400, "invalid_request", "pronounceable"),
    ("GET", "/api/tts?text=Hi&seed=-1", None, 400, "invalid_request", "seed"),
    ("GET", "/api/tts?text=Hi&format=ogg", None, 400, "invalid_request", "Unknown audio format"),
    ("GET", "/v1/audio/speech", None, 405, "method_not_allowed", "not allowed"),
    ("GET", "/v2/nothing", None, 404, "not_found", "No such endpoint"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "words"), BAD_REQUESTS)
def test_bad_requests_get_json_errors(
    served: ServeProcess, method: str, path: str, body: object, status: int, code: str, words: str
) -> None:
    headers = {"Content-Type": "application/json"} if isinstance(body, bytes) else None
    reply = call(served.port, method, path, body=body, headers=headers)  # type: ignore[arg-type]
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/json"
    error = reply.json()["error"]
    assert error["code"] == code
    assert words.lower() in error["message"].lower()
    assert "Traceback" not in reply.body.decode() and 'File "' not in reply.body.decode()


def test_oversized_body_is_refused_before_parsing(served: ServeProcess) -> None:
    reply = call(
        served.port,
        "POST",
        "/api/tts",
        body=b"a" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 413 and reply.json()["error"]["code"] == "body_too_large"


def test_requests_are_logged_on_stderr_without_their_text(served: ServeProcess) -> None:
    secret = "Marmalade sandwiches at midnight."
    assert call(served.port, "GET", query(text=secret)).status == 200
    deadline = time.monotonic() + 10
    while "GET /api/tts 200" not in served.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = served.log()
    assert "127.0.0.1 GET /api/tts 200" in log
    assert "Marmalade" not in log


def test_page_and_health(served: ServeProcess) -> None:
    page = call(served.port, "GET", "/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b'<script src="/page/app.js">' in page.body
    assert (
        call(served.port, "GET", "/page/app.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    health = call(served.port, "GET", "/health").json()
    assert health["status"] == "ok" and health["voices"] == ["tiny-test", "tiny-test-2"]
