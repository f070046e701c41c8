"""``glowtts say --line-by-line`` / ``--json-input``: standard input as a stream of utterances.

Each line is handed on as soon as its newline arrives (standard input is never read to its end
first), so a program can keep one ``glowtts say`` running and feed it. With ``--json-input`` a line
is a Piper-style object: ``{"text": ..., "output_file": ..., "speaker": ..., "length_scale": ...}``.
A bad line stops the command with an error naming the line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from glowtts_cli.cli.console import err_console
from glowtts_cli.cli.textinput import decode_text
from glowtts_cli.errors import GlowTTSError, TextError

if TYPE_CHECKING:
    from glowtts_cli.api import Audio, SynthesisOptions, Voice

MAX_LINE_BYTES = 1024 * 1024
"""Longest line read (1 MiB): a stream without newlines must not fill the memory."""
_NUMBERS = ("length_scale", "noise_scale", "sentence_silence")
KEYS = ("text", "output_file", "speaker", "speaker_id", *_NUMBERS)
"""Keys a ``--json-input`` line may hold (Piper's, plus this toolkit's synthesis settings)."""
_EXAMPLE = '{"text": "Hello.", "output_file": "hello.wav"}'
_EOF = object()


@dataclass(frozen=True, kw_only=True)
class LineRequest:
    """One utterance read from standard input."""

    number: int
    """Its line number (1-based), for messages."""
    text: str
    """What to say."""
    output_file: Path | None = None
    """Where this line's audio goes instead of ``-o``/``--output-raw``/``--play``."""
    speaker: str | int | None = None
    """Speaker name or index, overriding ``--speaker``."""
    length_scale: float | None = None
    """Overrides ``--length-scale``."""
    noise_scale: float | None = None
    """Overrides ``--noise-scale``."""
    sentence_silence: float | None = None
    """Overrides ``--sentence-silence``."""

    def where(self) -> str:
        return f"standard input line {self.number}"

    def settings(self) -> dict[str, Any]:
        """The synthesis settings this line sets (for ``dataclasses.replace``)."""
        names = ("speaker", *_NUMBERS)
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


def read_requests(
    stdin: BinaryIO, *, as_json: bool, closed: threading.Event
) -> Iterator[LineRequest]:
    """Each non-blank line of ``stdin`` as it arrives, until end of input or ``closed`` is set."""
    for number, data in _lines(stdin, closed):
        where = f"standard input line {number}"
        text = decode_text(data, source=where).strip()
        if not text:
            continue
        yield parse_json_line(text, number) if as_json else LineRequest(number=number, text=text)


def parse_json_line(line: str, number: int) -> LineRequest:
    """One ``--json-input`` line; every mistake is a ``TextError`` naming the line and key."""
    where = f"standard input line {number}"
    hint = f"Send one JSON object per line, e.g. {_EXAMPLE}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise TextError(f"{where} is not JSON: {e.msg} (column {e.colno}).", hint=hint) from e
    if not isinstance(obj, dict):
        raise TextError(f"{where} is a JSON {type(obj).__name__}, not an object.", hint=hint)
    unknown = [key for key in obj if key not in KEYS]
    if unknown:
        from glowtts_cli.voices import suggest

        close = suggest(str(unknown[0]), list(KEYS))
        mean = f" Did you mean '{close[0]}'?" if close else ""
        raise TextError(
            f"{where}: unknown key '{unknown[0]}'.{mean}", hint=f"Keys: {', '.join(KEYS)}."
        )
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise TextError(f'{where} has no "text" to say.', hint=hint)
    output = obj.get("output_file")
    if output is not None and (not isinstance(output, str) or not output):
        raise TextError(f'{where}: "output_file" must be a path (a string).', hint=hint)
    return LineRequest(
        number=number,
        text=text.strip(),
        output_file=Path(output) if output else None,
        speaker=_speaker(obj, where),
        length_scale=_number(obj, "length_scale", where),
        noise_scale=_number(obj, "noise_scale", where),
        sentence_silence=_number(obj, "sentence_silence", where),
    )


def _speaker(obj: dict[str, Any], where: str) -> str | int | None:
    if "speaker" in obj and "speaker_id" in obj:
        raise TextError(f'{where} names both "speaker" and "speaker_id".', hint="Keep one.")
    speaker = obj.get("speaker", obj.get("speaker_id"))
    if speaker is None or isinstance(speaker, str):
        return int(speaker) if isinstance(speaker, str) and speaker.isdigit() else speaker
    if isinstance(speaker, int) and not isinstance(speaker, bool):
        return speaker
    key = "speaker" if "speaker" in obj else "speaker_id"
    raise TextError(f'{where}: "{key}" must be a name or an index, got {speaker!r}.')


def _number(obj: dict[str, Any], name: str, where: str) -> float | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TextError(f'{where}: "{name}" must be a number, got {json.dumps(value)}.')
    return float(value)


def in_json_terms(error: GlowTTSError, request: LineRequest) -> GlowTTSError:
    """A library error about a line's settings, naming the line and its JSON keys (not flags)."""
    message = error.message
    for name in ("speaker", *_NUMBERS):
        message = message.replace(f"{name} must", f'"{name}" must')
    message = message.replace("--speaker ", '"speaker": ')
    error.message = f"{request.where()}: {message[:1].lower()}{message[1:]}"
    return error


def line_pieces(
    requests: Iterator[LineRequest],
    voice: Voice,
    options: SynthesisOptions,
    *,
    ssml: bool,
    shared: bool,
    chunk_frames: int | None,
    stdout_free: bool,
) -> Iterator[Audio]:
    """Each line's audio as soon as its line has arrived; lines naming an ``output_file`` are
    written there (atomically) and announced, the others go on to the shared destination."""
    from glowtts_cli.audio.writer import StreamingAudioWriter

    speak = voice.stream_ssml if ssml else voice.stream
    for request in requests:
        try:
            line_options = dataclasses.replace(options, **request.settings())
            voice.speaker_id(line_options.speaker)
            if request.output_file is None and not shared:
                raise TextError(
                    'it has no "output_file", and no -o, --output-raw or --play was given.',
                    hint='Add "output_file" to the line, or pass --play, -o FILE or --output-raw.',
                )
            pieces = speak(request.text, line_options, chunk_frames=chunk_frames)
            if request.output_file is None:
                yield from pieces
                continue
            with StreamingAudioWriter(request.output_file, voice.sample_rate) as writer:
                for piece in pieces:
                    writer.write(piece.samples)
        except GlowTTSError as e:
            raise in_json_terms(e, request) from None
        _announce(request.output_file, writer.frames / voice.sample_rate, stdout_free)


def _announce(path: Path, seconds: float, stdout_free: bool) -> None:
    """Say a line's file is ready: on stderr, and its path on stdout unless audio flows there."""
    err_console().print(f"wrote {path} ({seconds:.1f} s)")
    if stdout_free:
        sys.stdout.write(f"{path}\n")
        sys.stdout.flush()


def _lines(stdin: BinaryIO, closed: threading.Event) -> Iterator[tuple[int, bytes]]:
    """Numbered lines from a reader thread; the wait wakes up every 0.1 s to look at ``closed``.

    The thread reads the file descriptor with ``os.read`` (which returns what has arrived, not a
    full buffer) rather than through ``sys.stdin``: a daemon thread blocked inside a buffered
    reader would hold its lock when the interpreter shuts down, which aborts the process.
    """
    lines: queue.Queue[object] = queue.Queue(maxsize=64)
    reader = threading.Thread(target=_read_into, args=(stdin, lines), daemon=True)
    reader.start()
    number = 0
    while not closed.is_set():
        try:
            item = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if item is _EOF:
            return
        if isinstance(item, BaseException):
            raise item
        number += 1
        yield number, item  # type: ignore[misc]


def _read_into(stdin: BinaryIO, lines: queue.Queue[object]) -> None:
    try:
        for line in _split(stdin):
            lines.put(line)
        lines.put(_EOF)
    except BaseException as e:  # handed to the consumer, which re-raises it
        lines.put(e)


def _split(stdin: BinaryIO) -> Iterator[bytes]:
    try:
        fd: int | None = stdin.fileno()
    except (OSError, ValueError, AttributeError):
        fd = None  # an in-memory stream (tests): its reads return at once anyway
    pending = b""
    while True:
        chunk = os.read(fd, 65536) if fd is not None else stdin.read(65536)
        if not chunk:
            break
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
        if len(pending) > MAX_LINE_BYTES:
            raise TextError(
                f"A line of standard input is longer than {MAX_LINE_BYTES // 1024} KiB.",
                hint="End each utterance with a newline.",
            )
    if pending:
        yield pending
