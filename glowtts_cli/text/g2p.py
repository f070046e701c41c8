"""Grapheme-to-phoneme conversion with espeak-ng through ``phonemizer``.

By default espeak-ng comes from the ``espeakng-loader`` wheel (library AND data, so a plain pip
install works with no system package); ``GLOWTTS_ESPEAK=system`` or ``espeak="system"`` uses the
system's libespeak-ng instead. Backends are built lazily, once per (language, source).
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from glowtts_cli.errors import ConfigError, PhonemizerUnavailableError

logger = logging.getLogger(__name__)

ESPEAK_ENV = "GLOWTTS_ESPEAK"
"""Environment variable choosing the espeak-ng build: ``bundled`` (default) or ``system``."""

ESPEAK_SOURCES = ("bundled", "system")

_INSTALL_HINT = (
    "Reinstall with `pip install espeakng-loader` (bundled espeak-ng), or install espeak-ng "
    "(`apt install espeak-ng` / `brew install espeak-ng`) and set GLOWTTS_ESPEAK=system."
)
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")
# C strings end at NUL; surrogates cannot be encoded for the C library.
_INVISIBLE = re.compile("[\x00\ud800-\udfff]")
_MARKS = frozenset(';:,.!?¡¿—…"«»“”(){}[]')
"""phonemizer's default punctuation marks: kept around the phonemes of each word."""
# phonemizer's EspeakWrapper keeps the library and data paths as process-wide class state; we set
# them only while a backend is being built and restore them afterwards.
_BUILD_LOCK = threading.Lock()
# One espeak instance is not reentrant.
_RUN_LOCK = threading.Lock()
# phonemizer restores punctuation in time quadratic in the pieces of one call; small batches
# keep it linear at no cost for ordinary sentences (measured: same speed from 16 to 1000).
_BATCH = 16


def espeak_source(choice: str | None = None) -> str:
    """Resolve which espeak-ng to use: the argument, else ``$GLOWTTS_ESPEAK``, else bundled."""
    source = (choice or os.environ.get(ESPEAK_ENV) or "bundled").strip().lower()
    if source not in ESPEAK_SOURCES:
        raise ConfigError(
            f"Unknown espeak-ng source '{source}'.",
            hint=f"Use one of {', '.join(ESPEAK_SOURCES)} (argument or ${ESPEAK_ENV}).",
        )
    return source


def _library_paths(source: str) -> tuple[str | None, str | None]:
    """(library, data directory) to load; None means phonemizer's own system lookup."""
    if source == "system":
        if not (ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")):
            raise PhonemizerUnavailableError(
                "No system espeak-ng library was found.",
                hint="Install it with `apt install espeak-ng` / `brew install espeak-ng`, or "
                f"unset {ESPEAK_ENV} to use the espeak-ng bundled with espeakng-loader.",
            )
        return None, None
    try:
        import espeakng_loader
    except ImportError as e:
        raise PhonemizerUnavailableError(
            "The bundled espeak-ng (package espeakng-loader) is not installed.", hint=_INSTALL_HINT
        ) from e
    # Both are needed: with the library alone espeak-ng looks for its data in a compiled-in
    # path and ends the whole process without a Python exception.
    return str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())


@functools.cache
def get_backend(language: str, source: str = "bundled") -> Any:
    """The cached phonemizer ``EspeakBackend`` for one language and espeak-ng source.

    Stress marks and punctuation are kept (punctuation is what makes pauses); language-switch
    flags such as ``(en)`` are removed so they never reach the symbol table.
    """
    chatter = logging.getLogger(__name__ + ".phonemizer")
    if chatter.level == logging.NOTSET:
        # phonemizer warns about word-count mismatches that are expected once punctuation is
        # kept; show only its errors unless the user configured this logger.
        chatter.setLevel(logging.ERROR)
    from phonemizer.backend import EspeakBackend

    with _espeak_paths(source):
        try:
            return EspeakBackend(
                language,
                preserve_punctuation=True,
                with_stress=True,
                language_switch="remove-flags",
                words_mismatch="ignore",
                logger=chatter,
            )
        except RuntimeError as e:
            if "not supported" in str(e):
                raise PhonemizerUnavailableError(
                    f"espeak-ng has no voice for language '{language}'.",
                    hint="Use an espeak-ng language code such as en-us, en-gb, de, fr-fr or es.",
                ) from e
            raise PhonemizerUnavailableError(
                f"espeak-ng ({source}) could not be loaded: {e}", hint=_INSTALL_HINT
            ) from e


@contextlib.contextmanager
def _espeak_paths(source: str) -> Iterator[None]:
    """Point phonemizer at the chosen espeak-ng while a backend is built, then restore it."""
    library, data_path = _library_paths(source)
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    with _BUILD_LOCK:
        saved = (EspeakWrapper._ESPEAK_LIBRARY, EspeakWrapper._ESPEAK_DATA_PATH)
        EspeakWrapper.set_library(library)
        EspeakWrapper.set_data_path(data_path)
        try:
            yield
        except OSError as e:
            raise PhonemizerUnavailableError(
                f"espeak-ng ({source}) could not be loaded: {e}", hint=_INSTALL_HINT
            ) from e
        finally:
            EspeakWrapper.set_library(saved[0])
            EspeakWrapper.set_data_path(saved[1])


@functools.cache
def _version(source: str) -> str:
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    with _espeak_paths(source):
        try:
            return ".".join(str(v) for v in EspeakWrapper().version)
        except RuntimeError as e:
            raise PhonemizerUnavailableError(
                f"espeak-ng ({source}) could not be loaded: {e}", hint=_INSTALL_HINT
            ) from e


def espeak_version(*, espeak: str | None = None) -> str:
    """The version of the espeak-ng in use, e.g. ``"1.52.0"``."""
    return _version(espeak_source(espeak))


def phonemize(texts: Sequence[str], language: str, *, espeak: str | None = None) -> list[str]:
    """IPA phonemes (with stress marks and punctuation) for each text, in one batch call.

    Each output lines up with its input; an input with nothing to say gives ``""``. Line breaks
    inside an input are treated as spaces (phonemizer would otherwise split the batch there).
    """
    backend = get_backend(language, espeak_source(espeak))
    cleaned = [_LINE_BREAKS.sub(" ", _INVISIBLE.sub("", t)).strip() for t in texts]
    out = [""] * len(texts)
    todo: list[int] = []
    for i, line in enumerate(cleaned):
        if any(c.isalnum() for c in line):
            todo.append(i)
        else:  # nothing to say: keep its pause marks (phonemizer would drop the whole line)
            out[i] = " ".join("".join(c for c in line if c in _MARKS or c == " ").split())
    for start in range(0, len(todo), _BATCH):
        indices = todo[start : start + _BATCH]
        with _RUN_LOCK:
            phonemes = backend.phonemize([cleaned[i] for i in indices], strip=True, njobs=1)
            if len(phonemes) != len(indices):  # pragma: no cover - never misalign a batch
                logger.debug("phonemizer batch misaligned; phonemizing one by one")
                phonemes = [
                    "".join(backend.phonemize([cleaned[i]], strip=True, njobs=1)) for i in indices
                ]
        for i, p in zip(indices, phonemes, strict=True):
            out[i] = p.strip()
    return out
