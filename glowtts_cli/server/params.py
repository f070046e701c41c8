"""Request parameters: read, check and turn into a :class:`SpeechRequest`, or a 4xx RequestError.

Two dialects: OpenAI's ``POST /v1/audio/speech`` JSON body and the simple ``/api/tts`` parameters
(query string, form, JSON or a plain-text body). Both end in the same request object, checked
before any synthesis starts so that every mistake is a JSON error with a helpful message.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glowtts_cli.api import LENGTH_SCALE_RANGE, SynthesisOptions
from glowtts_cli.audio.encoders import FORMATS, missing_formats
from glowtts_cli.config import VoiceConfig
from glowtts_cli.errors import GlowTTSError, ParameterError
from glowtts_cli.voices import suggest

MODELS = (
    "glowtts",
    "tts-1",
    "tts-1-hd",
    "gpt-4o-mini-tts",
    "gpt-4o-mini-tts-2025-03-20",
    "gpt-4o-mini-tts-2025-12-15",
)
"""Model ids accepted by ``/v1/audio/speech`` (all the same engine; listed by ``/v1/models``)."""
SPEED_RANGE = (0.25, 4.0)
"""OpenAI's ``speed`` range; it divides the voice's length scale."""

_OPENAI_KEYS = {
    "model",
    "input",
    "voice",
    "response_format",
    "speed",
    "instructions",
    "stream_format",
}
_EXTRA_KEYS = {"speaker", "noise_scale", "length_scale", "sentence_silence", "seed"}
_SIMPLE_KEYS = {"text", "voice", "format", "speed", "download", *_EXTRA_KEYS}


class RequestError(GlowTTSError):
    """A request the server refuses; rendered as an OpenAI-style JSON error with ``status``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str = "invalid_request",
        param: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.param = param


def request_error(error: ParameterError, *, code: str = "invalid_request") -> RequestError:
    """A library error about one parameter, as this API says it: ``param`` set, and the
    parameter quoted as a request names it (``'noise_scale' must be ...``, ``Leave 'speaker'
    out``). The request parameters carry the library's names (noise_scale, seed, speaker)."""
    param = error.parameter
    named = re.compile(rf"(?<![\w'=.])({re.escape(param)})(?= must\b| out\b)")

    def say(text: str) -> str:
        return named.sub(f"'{param}'", text)

    hint = say(error.hint) if error.hint else None
    return RequestError(say(error.message), code=code, param=param, hint=hint)


@dataclass(frozen=True, kw_only=True)
class SpeechRequest:
    """What to say, with which voice and settings, in which format."""

    text: str
    """The text, already checked against the length cap."""
    voice: str | None
    """A served voice id, a voice spec, an OpenAI voice name, or None for the default voice."""
    speaker: str | int | None = None
    """Explicit speaker name or index (wins over an OpenAI voice name's speaker)."""
    format: str = "wav"
    """A key of :data:`~glowtts_cli.audio.encoders.FORMATS`."""
    speed: float | None = None
    """OpenAI speed factor (1 = the voice's pace); mutually exclusive with length_scale."""
    options: SynthesisOptions = dataclasses.field(default_factory=SynthesisOptions)
    """Noise/length scale, sentence silence and seed (speaker is set from the voice lookup)."""
    download: bool = False
    """Ask the browser to save the file (Content-Disposition: attachment)."""

    def synthesis_options(self, cfg: VoiceConfig, speaker: int | None) -> SynthesisOptions:
        """Options for the chosen voice; ``speed`` becomes ``length_scale = default / speed``."""
        options = dataclasses.replace(self.options, speaker=speaker)
        if self.speed is not None:
            scale = cfg.inference.length_scale / self.speed
            low, high = LENGTH_SCALE_RANGE
            options = dataclasses.replace(options, length_scale=min(max(scale, low), high))
        return options


def parse_openai(body: Any, *, max_chars: int) -> SpeechRequest:
    """Check an OpenAI ``/v1/audio/speech`` JSON body (plus our optional extras)."""
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.", hint=_OPENAI_HINT)
    _reject_unknown(body, _OPENAI_KEYS | _EXTRA_KEYS)
    for key in ("model", "input", "voice"):
        if key not in body:
            raise RequestError(f"Missing required parameter '{key}'.", param=key, hint=_OPENAI_HINT)
    model = body["model"]
    if model not in MODELS:
        raise RequestError(
            f"Unknown model {model!r}.",
            param="model",
            code="model_not_found",
            hint=f"Use one of: {', '.join(MODELS)} (they are all the same engine).",
        )
    if body.get("stream_format", "audio") != "audio":
        raise RequestError(
            "stream_format 'sse' is not supported; audio is always streamed as raw bytes.",
            param="stream_format",
            hint="Leave stream_format out or set it to 'audio'.",
        )
    _string(body, "instructions", required=False)  # accepted and ignored, as tts-1 does
    return _build(
        body, text_key="input", format_key="response_format", default="mp3", cap=max_chars
    )


def parse_simple(params: Mapping[str, Any], *, max_chars: int) -> SpeechRequest:
    """Check ``/api/tts`` parameters (strings from a query string or form, or JSON values)."""
    _reject_unknown(params, _SIMPLE_KEYS)
    if "text" not in params:
        raise RequestError(
            "Missing required parameter 'text'.",
            param="text",
            hint="Example: /api/tts?text=Hello%20world (or POST the text as the body).",
        )
    request = _build(params, text_key="text", format_key="format", default="wav", cap=max_chars)
    download = str(params.get("download", "")).lower() in ("1", "true", "yes")
    return dataclasses.replace(request, download=download)


_OPENAI_HINT = 'Send JSON like {"model": "tts-1", "input": "Hello.", "voice": "alloy"}.'


def _build(
    data: Mapping[str, Any], *, text_key: str, format_key: str, default: str, cap: int
) -> SpeechRequest:
    text = _text(data, text_key, cap)
    fmt = _format(data.get(format_key, default), format_key)
    speed = _speed(data)
    length_scale = _number(data, "length_scale")
    if speed is not None and length_scale is not None:
        raise RequestError(
            "Give either 'speed' or 'length_scale', not both.",
            param="speed",
            hint="length_scale = the voice's length scale / speed.",
        )
    try:  # the library checks the ranges; its errors name the parameter
        options = SynthesisOptions(
            noise_scale=_number(data, "noise_scale"),
            length_scale=length_scale,
            sentence_silence=_number(data, "sentence_silence"),
            seed=_seed(data),
        )
    except ParameterError as e:
        raise request_error(e) from e
    return SpeechRequest(
        text=text,
        voice=_voice(data.get("voice")),
        speaker=_speaker(data.get("speaker")),
        format=fmt,
        speed=speed,
        options=options,
    )


def _reject_unknown(data: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if not unknown:
        return
    named = []
    for key in unknown:
        close = suggest(str(key), sorted(known))
        named.append(repr(key) + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise RequestError(
        f"Unknown parameter(s): {', '.join(named)}.",
        param=str(unknown[0]),
        hint=f"Known parameters: {', '.join(sorted(known))}.",
    )


def _string(data: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise RequestError(f"Missing required parameter '{key}'.", param=key)
        return None
    if not isinstance(value, str):
        raise RequestError(f"'{key}' must be a string, got {type(value).__name__}.", param=key)
    return value


def _text(data: Mapping[str, Any], key: str, cap: int) -> str:
    text = _string(data, key, required=True) or ""
    if not text.strip():
        raise RequestError(f"'{key}' is empty: there is nothing to say.", param=key)
    if len(text) > cap:
        raise RequestError(
            f"'{key}' has {len(text)} characters; this server accepts at most {cap}.",
            status=413,
            code="text_too_long",
            param=key,
            hint="Split the text into several requests, or start the server with a larger "
            "--max-chars.",
        )
    return text


def _format(value: Any, key: str) -> str:
    known = ", ".join(f for f in FORMATS if f not in missing_formats())
    if isinstance(value, str) and value.lower() in missing_formats():
        raise RequestError(
            f"This server's libsndfile cannot write {value.lower()}.",
            param=key,
            code="unsupported_format",
            hint=f"Use one of: {known} (or upgrade libsndfile / the soundfile package).",
        )
    if isinstance(value, str) and value.lower() in FORMATS:
        return value.lower()
    if value == "aac":
        raise RequestError(
            "AAC is not available here (no free encoder in libsndfile).",
            param=key,
            code="unsupported_format",
            hint=f"Use one of: {known}.",
        )
    raise RequestError(f"Unknown audio format {value!r}.", param=key, hint=f"Use one of: {known}.")


def _number(data: Mapping[str, Any], key: str) -> float | None:
    """A number given as JSON or as a string (query, form); its range is the library's."""
    value = data.get(key)
    if value is None or value == "":
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None:
        raise RequestError(f"'{key}' must be a number, got {value!r}.", param=key)
    return number


def _speed(data: Mapping[str, Any]) -> float | None:
    """OpenAI's ``speed``: this API's own parameter, so its range is checked here."""
    speed = _number(data, "speed")
    low, high = SPEED_RANGE
    if speed is not None and not low <= speed <= high:  # NaN too
        raise RequestError(
            f"'speed' must be between {low:g} and {high:g}, got {speed:g}.",
            param="speed",
            hint="Leave it out to use the voice's recommended value.",
        )
    return speed


def _seed(data: Mapping[str, Any]) -> Any:
    """The seed, digits of a query string made a number; its range is the library's."""
    value = data.get("seed")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _voice(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        value = value["id"]  # OpenAI's custom-voice form {"id": "..."}
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RequestError(
            f"'voice' must be a voice name, got {value!r}.",
            param="voice",
            hint="See GET /v1/voices for the voices this server speaks with.",
        )
    return value


def _speaker(value: Any) -> str | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RequestError(f"'speaker' must be a name or an index, got {value!r}.", param="speaker")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
