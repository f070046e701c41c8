"""Sentence splitting for long text, so synthesis can stream one sentence at a time.

A boundary is sentence punctuation followed by whitespace and a word that does not start in
lower case. Titles and other abbreviations that precede a name or a number ("Dr.", "St.",
"No.", "e.g."), initials ("J. R. R. Tolkien") and dotted initialisms ("U.S.") never end a
sentence; decimals ("3.14") have no space after the point and so never split. Blank lines always
split. Sentences longer than ``max_chars`` are cut at the last clause mark or space that fits,
which bounds the work per chunk for any input.
"""

from __future__ import annotations

import re

from glowtts_cli.text.english_words import TITLES

NO_SPLIT_AFTER = frozenset(
    {t.lower() for t in TITLES}
    | {
        "st", "no", "nos", "fig", "figs", "vol", "vols", "pp", "p", "ch", "approx", "ca", "cf",
        "vs", "e.g", "i.e", "eg", "ie", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "ave", "blvd", "rd", "dept", "univ", "mssrs", "messrs",
        "op", "art", "ed", "eds", "trans", "viz", "a.k.a",
    }
)  # fmt: skip
"""Words (lower case, without the final period) after which a period never ends a sentence."""

MAX_CHARS = 400
"""Default longest chunk: long enough for any normal sentence, short enough to stream."""

_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_CANDIDATE_RE = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)|([。！？]+[」』”’)]*)")
_INITIALISM_RE = re.compile(r"(?:[a-z]\.)+[a-z]")
_CLAUSE_RE = re.compile(r"[;:,—]\s|\s")


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    if match.group(3):  # CJK full stops need no space after them
        return True
    after = text[match.end() : match.end() + 1]
    if not after or after.islower():
        return False
    mark = match.group(1)
    if not mark.startswith(".") or mark.startswith("..."):
        return True
    # The word before the period; a short window keeps this O(1) per candidate.
    window = text[max(0, match.start() - 40) : match.start()].split()
    if not window:
        return True
    before = window[-1].lstrip("\"'([“‘").lower()
    if before in ("a.m", "p.m"):
        return True
    if before in NO_SPLIT_AFTER:
        return False
    # Initials ("J.") and dotted initialisms ("U.S.") are abbreviations, not sentence ends.
    return not (len(before) == 1 and before.isalpha()) and not _INITIALISM_RE.fullmatch(before)


def _split_paragraph(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _CANDIDATE_RE.finditer(paragraph):
        if _is_boundary(paragraph, match):
            end = match.end(1) if match.group(1) else match.end()
            out.append(paragraph[start:end])
            start = match.end()
    out.append(paragraph[start:])
    return out


def _chunk(sentence: str, max_chars: int) -> list[str]:
    """Cut an over-long sentence at the last clause mark (or space) before ``max_chars``."""
    out: list[str] = []
    while len(sentence) > max_chars:
        window = sentence[: max_chars + 1]
        cuts = [m.end() for m in _CLAUSE_RE.finditer(window) if m.end() > max_chars // 4]
        marks = [m.end() for m in _CLAUSE_RE.finditer(window) if m.group(0)[0] in ";:,—"]
        cut = max(marks) if marks and max(marks) > max_chars // 4 else (max(cuts) if cuts else 0)
        if cut <= 0:
            cut = max_chars
        out.append(sentence[:cut].strip())
        sentence = sentence[cut:].lstrip()
    out.append(sentence)
    return out


def split_sentences(text: str, *, max_chars: int = MAX_CHARS) -> list[str]:
    """Sentences of ``text`` in order, stripped, none empty, none longer than ``max_chars``."""
    sentences: list[str] = []
    for paragraph in _PARAGRAPH_RE.split(text):
        paragraph = " ".join(paragraph.split())
        for sentence in _split_paragraph(paragraph):
            sentences.extend(s for s in _chunk(sentence.strip(), max_chars) if s)
    return sentences
