"""The HTTP app (Starlette): OpenAI-compatible speech, a simple ``/api/tts``, listings and a page.

Routes:
    POST /v1/audio/speech   OpenAI's speech endpoint; the audio is streamed sentence by sentence.
    GET  /v1/models         model ids accepted by the speech endpoint.
    GET  /v1/voices         served voices, their speakers and where OpenAI's voice names lead.
    GET|POST /api/tts       ``?text=...&voice=...&speaker=...`` -> a complete WAV (or ``stream=1``).
    GET  /health            liveness and queue state.
    GET  /                  a page to try the voices.

Every refusal is a JSON error ``{"error": {"message", "type", "code", "param", "hint"}}`` with a 4xx
status (503 + Retry-After when the queue is full); unexpected failures are logged with their
traceback on stderr and answered with a plain 500 message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from glowtts_cli.api import Audio
from glowtts_cli.audio.encoders import FORMATS, AudioEncoder
from glowtts_cli.audio.io import to_wav_bytes
from glowtts_cli.errors import (
    AudioDeviceError,
    AudioLimitError,
    CheckpointError,
    GlowTTSError,
    PhonemizerUnavailableError,
)
from glowtts_cli.server.access_log import AccessLog
from glowtts_cli.server.params import (
    MODELS,
    RequestError,
    SpeechRequest,
    parse_openai,
    parse_simple,
)
from glowtts_cli.server.queue import SynthesisQueue, Ticket
from glowtts_cli.server.registry import VoiceRegistry
from glowtts_cli.text.ssml import looks_like_ssml, parse_ssml, spoken_text
from glowtts_cli.text.timings import timings_document

logger = logging.getLogger(__name__)

_SERVER_SIDE = (PhonemizerUnavailableError, CheckpointError, AudioDeviceError)
"""Library errors that are the server's fault, not the request's (answered with 500)."""
CHUNK_FRAMES = 512
"""Mel frames (~6 s at 22 kHz) per vocoder call: the worker checks the time limit between
calls, so one long sentence cannot hold it past ``max_compute_seconds`` by more than one."""
OPENAI_PCM_RATE = 24_000
"""OpenAI's ``pcm`` is 24 kHz; clients hard-code that rate, so ``/v1`` resamples to it."""


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    """Limits of one server."""

    max_chars: int = 4096
    """Longest accepted text in characters (OpenAI's limit is 4096)."""
    max_queue: int = 16
    """Requests that may wait while one is synthesized; more are refused with 503."""
    max_audio_seconds: float = 600.0
    """Longest audio one request may make (413 before the sentence that would pass it)."""
    max_compute_seconds: float = 300.0
    """Longest time one request may hold the synthesis worker (then it is stopped: 503)."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names requests must address (``Host``, ``Origin``); empty: any. Loopback servers
    set the loopback names, so a web page on another name (DNS rebinding) is refused."""

    def __post_init__(self) -> None:
        if self.max_chars < 1 or self.max_queue < 0:
            raise ValueError("max_chars must be >= 1 and max_queue >= 0")
        if not (self.max_audio_seconds > 0 and self.max_compute_seconds > 0):
            raise ValueError("max_audio_seconds and max_compute_seconds must be > 0")

    @property
    def max_body_bytes(self) -> int:
        """Request bodies above this are refused before parsing (UTF-8 text, JSON escapes)."""
        return 6 * self.max_chars + 16_384


@dataclass
class _State:
    registry: VoiceRegistry
    settings: ServerSettings
    queue: SynthesisQueue
    page: dict[str, tuple[bytes, str]]


def create_app(registry: VoiceRegistry, settings: ServerSettings | None = None) -> Starlette:
    """The ASGI app serving ``registry``'s voices (run it with uvicorn, see ``server.run``)."""
    settings = settings or ServerSettings()
    queue = SynthesisQueue(
        max_waiting=settings.max_queue, max_busy_seconds=settings.max_compute_seconds
    )
    state = _State(registry, settings, queue, _page())

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await asyncio.get_running_loop().run_in_executor(None, state.queue.close)

    routes = [
        Route("/v1/audio/speech", _endpoint(state, _speech), methods=["POST"]),
        Route("/v1/models", _endpoint(state, _models), methods=["GET"]),
        Route("/v1/voices", _endpoint(state, _voices), methods=["GET"]),
        Route("/api/tts", _endpoint(state, _tts), methods=["GET", "POST"]),
        Route("/health", _endpoint(state, _health), methods=["GET"]),
        Route("/", _endpoint(state, _page_file), methods=["GET"]),
        Route("/page/{name}", _endpoint(state, _page_file), methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )
    app.add_middleware(AccessLog)
    app.state.glowtts = state
    return app


Handler = Callable[[_State, Request], Any]


def _endpoint(state: _State, handler: Handler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            _check_addressed(request, state.settings.allowed_hosts)
            response: Response = await handler(state, request)
        except RequestError as e:
            return _error_response(e, e.status, e.code, e.param, state)
        except AudioLimitError as e:
            return _error_response(e, 413, "audio_too_long", "input", state)
        except _SERVER_SIDE as e:
            logger.error("%s: %s", type(e).__name__, e)
            return _error_response(e, 500, "server_error", None, state)
        except GlowTTSError as e:
            return _error_response(e, 400, "invalid_request", None, state)
        return response

    return endpoint


def _error_response(
    error: GlowTTSError, status: int, code: str, param: str | None, state: _State
) -> JSONResponse:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = {"message": error.message, "type": kind, "code": code, "param": param}
    if error.hint:
        body["hint"] = error.hint
    busy = code == "server_busy"  # a request stopped for its own size gains nothing by waiting
    headers = {"Retry-After": str(state.queue.retry_after())} if busy else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"No such endpoint: {request.url.path}.", 405: "Method not allowed."}.get(
        exc.status_code, str(exc.detail)
    )
    body = {"message": message, "type": "invalid_request_error", "code": "not_found", "param": None}
    if exc.status_code == 405:
        body["code"] = "method_not_allowed"
    body["hint"] = "See / for the page; the API is under /v1 and /api/tts."
    return JSONResponse({"error": body}, status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {
        "message": "Internal server error; the server log has the details.",
        "type": "server_error",
        "code": "internal_error",
        "param": None,
    }
    return JSONResponse({"error": body}, status_code=500)


# -- endpoints ------------------------------------------------------------------------------------


async def _speech(state: _State, request: Request) -> Response:
    _require_json(request)
    body = _parse_json(await _read_body(request, state.settings))
    speech = parse_openai(body, max_chars=state.settings.max_chars)
    return await _synthesize(state, request, speech, stream=True, pcm_rate=OPENAI_PCM_RATE)


async def _tts(state: _State, request: Request) -> Response:
    params: dict[str, Any] = dict(request.query_params)
    stream = str(params.pop("stream", "")).lower() in ("1", "true", "yes")
    if request.method == "POST":
        _require_json(request)
        body = _parse_json(await _read_body(request, state.settings))
        if not isinstance(body, dict):
            raise RequestError('A JSON body must be an object such as {"text": "Hello."}.')
        params.update(body)
    timings = str(params.pop("timings", "")).lower() in ("1", "true", "yes")
    if timings and stream:
        raise RequestError(
            "timings=1 answers with JSON holding the whole audio; it cannot be streamed.",
            param="timings",
            hint="Leave out stream=1 (or timings=1).",
        )
    speech = parse_simple(params, max_chars=state.settings.max_chars)
    return await _synthesize(state, request, speech, stream=stream, pcm_rate=None, timings=timings)


async def _models(state: _State, request: Request) -> Response:
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "glowtts"} for m in MODELS]
    return JSONResponse({"object": "list", "data": data})


async def _voices(state: _State, request: Request) -> Response:
    return JSONResponse(state.registry.listing())


async def _health(state: _State, request: Request) -> Response:
    queue = state.queue
    return JSONResponse(
        {
            "status": "ok",
            "voices": [v.id for v in state.registry.voices],
            "queue": {
                "active": queue.active,
                "capacity": queue.capacity,
                "refused": queue.refused,
                "abandoned": queue.abandoned,
            },
        }
    )


async def _page_file(state: _State, request: Request) -> Response:
    name = request.path_params.get("name", "index.html")
    if name not in state.page:
        raise HTTPException(404)
    content, media_type = state.page[name]
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-cache"})


# -- synthesis ------------------------------------------------------------------------------------


async def _synthesize(
    state: _State,
    request: Request,
    speech: SpeechRequest,
    *,
    stream: bool,
    pcm_rate: int | None,
    timings: bool = False,
) -> Response:
    """Check the voice, take a queue slot, synthesize the first sentence, then answer.

    Text that starts with ``<speak>`` is SSML. With ``timings`` the answer is JSON: the audio
    (base64) and every word's and phoneme's timing (see docs/server.md)."""
    choice = state.registry.find(speech.voice, speech.speaker)
    voice = choice.served.voice
    options = speech.synthesis_options(voice.cfg, choice.speaker)
    ticket = state.queue.try_admit()
    if ticket is None:
        raise RequestError(
            f"The server is busy ({state.queue.capacity} requests in progress or waiting).",
            status=503,
            code="server_busy",
            hint="Retry after the number of seconds in the Retry-After header.",
        )
    try:
        encoder = AudioEncoder(speech.format, voice.sample_rate, pcm_rate=pcm_rate)
        speak = voice.stream_ssml if looks_like_ssml(speech.text) else voice.stream
        pieces = speak(
            speech.text,
            options,
            chunk_frames=CHUNK_FRAMES,
            max_seconds=state.settings.max_audio_seconds,
            timings=timings,
        )
        spoken = _spoken_text(speech.text) if timings else None
        ticket.start(_chunks(pieces, encoder) if stream else _whole(pieces, encoder, spoken))
        # The first chunk is the first sentence: errors up to here still get a JSON answer.
        first = await _first_chunk(ticket, request)
    except _ClientLeft:
        ticket.close()
        return Response(status_code=499)  # nginx's "client closed request"; nobody reads it
    except BaseException:
        ticket.close()
        raise
    info = FORMATS[speech.format]
    headers = {
        "Content-Disposition": f"{'attachment' if speech.download else 'inline'}; "
        f'filename="speech.{info.extension}"',
        "X-Sample-Rate": str(encoder.output_rate),
        "X-Voice": choice.served.id,
    }
    if not stream:
        ticket.close()
        media_type = "application/json" if timings else info.media_type
        return Response(first or b"", media_type=media_type, headers=headers)
    return _AudioStream(ticket, first, info.media_type, headers)


class _ClientLeft(Exception):
    """The client hung up before its first chunk."""


async def _first_chunk(ticket: Ticket, request: Request) -> bytes | None:
    """The first chunk, or _ClientLeft as soon as the client hangs up (even while queued)."""
    chunk = asyncio.ensure_future(ticket.next_chunk())
    left = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({chunk, left}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        left.cancel()
    if not chunk.done():
        chunk.cancel()
        raise _ClientLeft
    return chunk.result()


async def _disconnect(request: Request) -> None:
    """Returns when the client disconnects (the body has been read already)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _chunks(pieces: Iterator[Audio], encoder: AudioEncoder) -> Iterator[bytes]:
    """Runs on the synthesis thread: each sentence's bytes, then the encoder's last bytes."""
    for piece in pieces:
        yield encoder.write(piece.samples)
    yield encoder.finish()


def _whole(
    pieces: Iterator[Audio], encoder: AudioEncoder, timed_text: str | None = None
) -> Iterator[bytes]:
    """Runs on the synthesis thread: one complete file (a WAV with exact sizes); with
    ``timed_text``, JSON holding that file in base64 and the word timings."""
    parts = []
    for piece in pieces:
        parts.append(piece)
        yield b""  # a point between sentences where a request that went away is dropped
    audio = Audio.concatenate(parts, encoder.sample_rate)
    if encoder.format == "wav" and encoder.output_rate == encoder.sample_rate:
        data = to_wav_bytes(audio.samples, audio.sample_rate)
    else:
        data = encoder.write(audio.samples) + encoder.finish()
    if timed_text is None:
        yield data
        return
    doc = timings_document(
        audio.words, text=timed_text, sample_rate=audio.sample_rate, duration=audio.duration
    )
    doc.update(format=encoder.format, audio=base64.b64encode(data).decode("ascii"))
    yield json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _spoken_text(text: str) -> str:
    """What word offsets refer to: the text, or the plain text an SSML document speaks."""
    return spoken_text(parse_ssml(text)) if looks_like_ssml(text) else text


class _AudioStream(StreamingResponse):
    """A chunked audio response that stops its producer and frees its slot however it ends."""

    def __init__(
        self, ticket: Ticket, first: bytes | None, media_type: str, headers: dict[str, str]
    ) -> None:
        super().__init__(self._body(ticket, first), media_type=media_type, headers=headers)
        self.ticket = ticket

    @staticmethod
    async def _body(ticket: Ticket, first: bytes | None) -> AsyncIterator[bytes]:
        chunk = first
        while chunk is not None:
            yield chunk
            chunk = await ticket.next_chunk()

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        except GlowTTSError as e:
            # The status is sent: all that is left is to cut the stream short (no final chunk),
            # so the client sees an incomplete response rather than a complete shorter one.
            logger.warning("stream stopped: %s", e.message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ticket.close()


# -- request bodies -------------------------------------------------------------------------------


async def _read_body(request: Request, settings: ServerSettings) -> bytes:
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, settings)
    data = bytearray()
    async for part in request.stream():
        data.extend(part)
        if len(data) > limit:
            raise _too_large(limit, settings)
    return bytes(data)


def _too_large(limit: int, settings: ServerSettings) -> RequestError:
    return RequestError(
        f"The request body is larger than {limit} bytes.",
        status=413,
        code="body_too_large",
        hint=f"Texts are limited to {settings.max_chars} characters.",
    )


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RequestError(
            f"The request body is not valid JSON: {e}.",
            hint='Send JSON like {"model": "tts-1", "input": "Hello.", "voice": "alloy"} '
            "with Content-Type: application/json.",
        ) from e


def _require_json(request: Request) -> None:
    """POST bodies are JSON only: a web page can send text/plain or a form to any address
    without asking (no CORS preflight), but not JSON."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise RequestError(
            f"POST bodies must be JSON (Content-Type: application/json), not {kind or 'untyped'}.",
            status=415,
            code="unsupported_media_type",
            hint='Send {"text": "..."} (or OpenAI\'s body on /v1) as JSON, or use GET with a '
            "query string.",
        )


def _check_addressed(request: Request, allowed: tuple[str, ...]) -> None:
    """Refuse a request addressed to another host name (DNS rebinding: a page on evil.example
    whose name now points at 127.0.0.1), sent by a page of another site, or embedded by one."""
    if not allowed:
        return
    host = _host_name(request.headers.get("host", ""))
    if host not in allowed:
        raise RequestError(
            f"This server does not answer to the host name {host or '(none)'!r}.",
            status=403,
            code="host_not_allowed",
            hint=f"It listens on loopback: use {' or '.join(allowed)} in the URL, or start it with "
            "--allow-host NAME for a name that points here (e.g. behind a reverse proxy).",
        )
    origin = request.headers.get("origin")
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or (origin and _host_name(urllib.parse.urlsplit(origin).netloc) not in allowed):
        raise RequestError(
            f"Requests from other sites' pages are refused (origin {origin or 'cross-site'}).",
            status=403,
            code="origin_not_allowed",
            hint="Open the server's own page, or call it from a program (which sends no Origin).",
        )


def _host_name(netloc: str) -> str:
    """``"[::1]:5002"`` -> ``"::1"``, ``"LocalHost:80"`` -> ``"localhost"``."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def _page() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("glowtts_cli.server").joinpath("page")
    types = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
    return {name: (folder.joinpath(name).read_bytes(), kind) for name, kind in types.items()}
