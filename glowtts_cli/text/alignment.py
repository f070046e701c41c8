"""Which written word each token id comes from, so durations can become word timings.

A sentence goes through the normaliser ("$3.50" -> "three dollars and fifty cents") and the
phonemizer, which may join words ("on the" -> "ɔnðə") or split them ("MeToo" -> "mˌiː tˈuː").
This module follows each step back: normalised words to the written token they came from (by
normalising growing prefixes of the sentence), and tokens to normalised words (one to one when
the word counts agree, else by aligning the sentence's phonemes with each word's own phonemes).
No torch: the API turns the per-id word labels and durations into seconds.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

NO_WORD = -1
"""Label of an id that belongs to no word: a blank, a space or punctuation (they make pauses)."""

_TOKEN_RE = re.compile(r"\S+")
_INITIALISM_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_LEADING = "\"'([{“‘«¿¡*_"
_TRAILING = "\"')]}”’»,;:!?…*_"


@dataclass(frozen=True)
class WrittenWord:
    """A whitespace-separated piece of the input and what it is spoken as."""

    text: str
    """The word as written, punctuation around it left out (``"$3.50"``, ``"Hello"``)."""
    start: int
    """Offset of its first character in the text given to the front end."""
    end: int
    """Offset just past its last character."""
    spoken: str
    """Its normalised words (``"three dollars and fifty cents"``); empty if it says nothing."""


@dataclass(frozen=True)
class AlignedSentence:
    """One sentence's ids (exactly ``TextFrontend.encode``'s) and the word each id belongs to."""

    text: str
    """The sentence as the splitter gave it."""
    ids: list[int]
    """Token ids, blanks included."""
    symbols: tuple[str, ...]
    """Per id: its symbol (``""`` for a blank)."""
    word_index: tuple[int, ...]
    """Per id: index into ``words``, or ``NO_WORD``."""
    words: tuple[WrittenWord, ...]
    """The sentence's written words, in order."""


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past the punctuation around a word ("U.S." keeps its last period)."""
    while start < end - 1 and text[start] in _LEADING:
        start += 1
    stop = end
    while end > start + 1 and text[end - 1] in _TRAILING + ".":
        end -= 1
    if end < stop and text[end] == "." and _INITIALISM_RE.fullmatch(text[start:end]):
        end += 1  # "U.S." keeps its last period
    return start, end


def locate_words(sentence: str, text: str, cursor: int) -> tuple[list[tuple[int, int]], int]:
    """Spans in ``text`` of the sentence's tokens, searching from ``cursor``; and the new cursor.

    The sentence splitter collapses whitespace, so its tokens are found one by one in the
    original text rather than by the sentence's own offsets.
    """
    spans: list[tuple[int, int]] = []
    for token in sentence.split():
        found = text.find(token, cursor)
        start = found if found >= 0 else cursor
        end = start + len(token) if found >= 0 else cursor
        spans.append(trim_span(text, start, end) if found >= 0 else (start, end))
        cursor = end
    return spans, cursor


def _common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    """Leading words in common, punctuation after a word ignored ("U-S." at the end of a prefix
    is "U-S" inside the sentence)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.rstrip(".,;:!?…") != y.rstrip(".,;:!?…"):
            break
        n += 1
    return n


def spoken_words(tokens: Sequence[str], normalize: Callable[[str], str]) -> list[list[str]]:
    """For each written token, the normalised words that come from it (their concatenation is
    ``normalize(" ".join(tokens)).split()``).

    Most tokens normalise on their own; when context matters ("5 km", "March 5, 2024") the
    boundary after token k is where ``normalize`` of the first k tokens stops agreeing with the
    whole sentence's.
    """
    full = normalize(" ".join(tokens)).split()
    alone = [normalize(t).split() for t in tokens]
    if [w for ws in alone for w in ws] == full:
        return alone
    bounds = [0]
    for k in range(1, len(tokens)):
        prefix = normalize(" ".join(tokens[:k])).split()
        bounds.append(min(len(full), max(bounds[-1], _common_prefix(prefix, full))))
    bounds.append(len(full))
    return [full[a:b] for a, b in itertools.pairwise(bounds)]


def is_pause(token: str) -> bool:
    """Spaces and punctuation: tokens that make a pause, not part of a word's sound."""
    return not token or all(unicodedata.category(c)[0] in "PZS" for c in token)


def _group_labels(tokens: Sequence[str]) -> tuple[list[int], int]:
    """Each token's space-separated group (``NO_WORD`` for the spaces), and the group count."""
    labels: list[int] = []
    group = 0
    for token in tokens:
        if token == " ":
            if labels and labels[-1] != NO_WORD:
                group += 1
            labels.append(NO_WORD)
        else:
            labels.append(group)
    return labels, group + (1 if labels and labels[-1] != NO_WORD else 0)


def label_groups(tokens: Sequence[str], n_words: int) -> list[int] | None:
    """Word labels when the tokens' space-separated groups match the words one to one (a group
    of punctuation alone, " — ", is a word of the normaliser too); None when they do not."""
    labels, n_groups = _group_labels(tokens)
    return labels if n_groups == n_words else None


def label_by_alignment(phonemes: str, word_phonemes: Sequence[str]) -> list[int]:
    """Word labels for each character of ``phonemes`` from each word's own phonemes.

    Characters that match a word's phonemes take its label; within a space-separated group the
    others (sounds changed by context) take the nearest label of the group. A group that matched
    nothing ("ɐ" for "a", which alone is read as the letter) takes the word between its
    neighbours' words.
    """
    reference: list[str] = []
    owner: list[int] = []
    for index, word in enumerate(word_phonemes):
        reference.extend(word)
        owner.extend([index] * len(word))
        reference.append(" ")
        owner.append(NO_WORD)
    labels = [NO_WORD] * len(phonemes)
    matcher = difflib.SequenceMatcher(None, phonemes, "".join(reference), autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for i in range(size):
            labels[a + i] = owner[b + i] if phonemes[a + i] != " " else NO_WORD
    groups = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(phonemes)]
    found = [[x for x in labels[a:b] if x != NO_WORD] for a, b in groups]
    last = NO_WORD
    for g, (a, b) in enumerate(groups):
        if found[g]:
            fill = found[g][0]
            for i in range(a, b):
                fill = labels[i] = labels[i] if labels[i] != NO_WORD else fill
            last = max(found[g])
            continue
        following = next((min(f) for f in found[g + 1 :] if f), len(word_phonemes))
        choice = last + 1 if last + 1 < following else max(last, 0)
        labels[a:b] = [min(choice, len(word_phonemes) - 1)] * (b - a)
        last = labels[a]
    return labels


def label_in_order(tokens: Sequence[str], n_words: int) -> list[int]:
    """Last resort: space-separated groups spread evenly over the words, in order."""
    labels, n_groups = _group_labels(tokens)
    return [
        NO_WORD if g == NO_WORD else min(n_words - 1, g * n_words // max(1, n_groups))
        for g in labels
    ]


def written_tokens(sentence: str) -> list[tuple[str, int, int]]:
    """The sentence's whitespace-separated tokens with their offsets in it."""
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(sentence)]


def relocate(
    words: Sequence[WrittenWord], sentence: str, text: str, cursor: int
) -> tuple[list[WrittenWord], int]:
    """Words with offsets into ``text`` (where the sentence came from), searched from ``cursor``."""
    spans, cursor = locate_words(sentence, text, cursor)
    out = [
        WrittenWord(text=text[a:b], start=a, end=b, spoken=w.spoken)
        for w, (a, b) in zip(words, spans, strict=True)
    ]
    return out, cursor
