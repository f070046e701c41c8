"""Text normalisation: pure ``str -> str`` steps that make written text speakable.

Every language gets the Unicode clean-up (NFC, invisible and control characters, quotes, dashes,
ellipses, whitespace); a language may register its own full normaliser (English does: numbers,
currency, dates, times, units, abbreviations, symbols, URLs). Languages without one rely on
espeak-ng, which reads digits in the voice's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

Normalizer = Callable[[str], str]

_NORMALIZERS: dict[str, Normalizer] = {}

_QUOTES = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "ʼ": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "‹": '"', "›": '"',
        "‐": "-", "‑": "-", "‒": "-", "−": "-", "﹣": "-", "－": "-",
        "\u2028": "\n", "\u2029": "\n", "\x85": "\n",
        # CJK punctuation, so pauses survive phonemisation (phonemizer keeps ASCII marks)
        "。": ". ", "，": ", ", "、": ", ", "！": "! ", "？": "? ", "：": ": ", "；": "; ",
        "「": '"', "」": '"', "『": '"', "』": '"', "【": "(", "】": ")", "《": '"', "》": '"',
        "〈": '"', "〉": '"',
    }
)  # fmt: skip
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e]+")  # fullwidth ASCII variants
_KEEP_FORMAT = {"\u200c", "\u200d"}  # zero-width (non-)joiners matter in Persian and Indic text
_SPACED_DASH_RE = re.compile(r"\s*(?:—|―|--+|\s–\s|\s-\s)\s*")
_ELLIPSIS_RE = re.compile(r"\.{3,}|…+")
_SPACES_RE = re.compile(r"[ \t]+")
_LINES_RE = re.compile(r"\s*\n\s*")


def _drop_invisible(text: str) -> str:
    """Remove control, format, surrogate, private-use and unassigned characters; keep newlines."""
    out: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n":
            out.append("\n")
        elif ch in "\t\r\x0b\x0c" or cat == "Zs":
            out.append(" ")
        elif cat[0] != "C" or ch in _KEEP_FORMAT:
            out.append(ch)
    return "".join(out)


def clean_unicode(text: str) -> str:
    """Language-independent clean-up, the first step of every normaliser.

    NFC; invisible and control characters removed; curly quotes and guillemets to ASCII quotes;
    dash variants used as pauses to an em dash, ellipses to '…'; runs of spaces collapsed (line
    breaks are kept as single newlines so the sentence splitter can use them).
    """
    text = unicodedata.normalize("NFC", text)
    text = _FULLWIDTH_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = text.translate(_QUOTES)
    text = _drop_invisible(text)
    text = _ELLIPSIS_RE.sub("…", text)
    text = _SPACED_DASH_RE.sub(" — ", text)
    text = _SPACES_RE.sub(" ", text)
    return _LINES_RE.sub("\n", text).strip()


def collapse_whitespace(text: str) -> str:
    """All whitespace runs (line breaks too) to one space, stripped."""
    return " ".join(text.split())


def register_normalizer(language: str, normalizer: Normalizer) -> None:
    """Use ``normalizer`` for ``language`` and its variants (``en`` also covers ``en-us``)."""
    _NORMALIZERS[language.lower()] = normalizer


def _lookup(language: str) -> Normalizer | None:
    code = language.lower().replace("_", "-")
    while code:
        if code in _NORMALIZERS:
            return _NORMALIZERS[code]
        code = code.rpartition("-")[0]
    return None


def _generic(text: str) -> str:
    return collapse_whitespace(clean_unicode(text))


def get_normalizer(language: str) -> Normalizer:
    """The normaliser of an espeak-style language code (most specific registration wins)."""
    _register_builtin()
    return _lookup(language) or _generic


def normalize(text: str, language: str = "en-us") -> str:
    """Speakable text for ``language``: one line, normalised spaces, no invisible characters."""
    return get_normalizer(language)(text)


def _register_builtin() -> None:
    if "en" not in _NORMALIZERS:
        from glowtts_cli.text.english import normalize_english

        register_normalizer("en", normalize_english)
