"""Where ``glowtts say`` gets its text: the argument, ``-``/piped stdin, or ``--text-file``.

Input is decoded strictly as UTF-8; binary data is refused with a clear error instead of being
spoken as garbage.
"""

from __future__ import annotations

import os
import stat
import sys
import unicodedata
from pathlib import Path
from typing import BinaryIO

from glowtts_cli.errors import TextError

_MAX_CONTROL_FRACTION = 0.01
MAX_TEXT_BYTES = 16 * 1024 * 1024
"""Longest text read (16 MiB, a few thousand pages): ``/dev/zero`` must not fill the memory."""


def decode_text(data: bytes, *, source: str) -> str:
    """Strict UTF-8 (BOM allowed); refuse NUL bytes and text made of control characters."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TextError(
            f"{source} is not UTF-8 text (invalid byte at offset {e.start}).",
            hint="Pass plain text; convert other encodings with iconv -t UTF-8.",
        ) from e
    control = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f\v")
    if "\x00" in text or control > max(1, _MAX_CONTROL_FRACTION * len(text)):
        raise TextError(
            f"{source} looks like binary data, not text.",
            hint="Pass plain UTF-8 text.",
        )
    return text


def read_text(text: str | None, text_file: Path | None, *, stdin: BinaryIO | None = None) -> str:
    """Pick the text source; exactly one of argument, stdin or file must be given."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    if text is not None and text_file is not None:
        raise TextError(
            "Give the text either as an argument or with --text-file, not both.",
            hint="Drop one of them (`-` as the text reads standard input).",
        )
    if text_file is not None:
        result = decode_text(_read_file(text_file), source=str(text_file))
    elif text == "-" or (text is None and not _is_tty(stdin)):
        result = decode_text(_capped(stdin.read(MAX_TEXT_BYTES + 1), "standard input"),
                             source="standard input")  # fmt: skip
    elif text is None:
        raise TextError(
            "No text given.",
            hint='Try: glowtts say "Hello world" -o hello.wav  (or pipe text in, or --text-file)',
        )
    else:
        result = text
    if not result.strip():
        raise TextError("The text is empty.", hint="Give some words to speak.")
    return result


def _capped(data: bytes, source: str) -> bytes:
    if len(data) > MAX_TEXT_BYTES:
        raise TextError(
            f"{source} holds more than {MAX_TEXT_BYTES // (1024 * 1024)} MiB of text.",
            hint="Split the text into smaller files and speak them one by one.",
        )
    return data


def _read_file(path: Path) -> bytes:
    """A regular file or a pipe (``<(...)``), at most :data:`MAX_TEXT_BYTES`; not a device."""
    try:
        with open(path, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
                raise TextError(f"--text-file {path} is {kind}.", hint="Pass a text file.")
            return _capped(f.read(MAX_TEXT_BYTES + 1), f"--text-file {path}")
    except OSError as e:
        kind = (
            "is a folder"
            if isinstance(e, IsADirectoryError)
            else f"cannot be read: {e.strerror or e}"
        )
        raise TextError(f"--text-file {path} {kind}.", hint="Check the path.") from e


def _is_tty(stream: BinaryIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
