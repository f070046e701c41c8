"""Word and phoneme timings: the durations the acoustic model used, in seconds of the output.

Glow-TTS decides how many mel frames each token id lasts (``ceil(exp(logw) * length_scale)``, the
alignment ``attn``); a frame is ``hop_length / sample_rate`` seconds. A phoneme spans its own
frames plus half of each blank between it and a phoneme of the same word; spaces, punctuation and
the blanks at word edges are the gaps between words. Stress marks join the phoneme after them and
length or diacritic marks the one before, so ``ˈoʊ`` or ``ɑː`` is one phoneme. Pure Python.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from glowtts_cli.text.alignment import NO_WORD, AlignedSentence, WrittenWord

_STRESS = frozenset("ˈˌ")
_PAIRS = frozenset({"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ", "əʊ", "eə", "ɪə", "ʊə", "tʃ", "dʒ"})
"""Two IPA symbols that sound as one phoneme (English diphthongs and affricates)."""


@dataclass(frozen=True)
class PhonemeTiming:
    """One phoneme (or letter, for character voices) and when it sounds."""

    phoneme: str
    """The phoneme as the voice's symbols write it (IPA, ARPAbet without '@', or a letter)."""
    start: float
    """Seconds from the start of the output."""
    end: float
    """Seconds from the start of the output."""


@dataclass(frozen=True)
class WordTiming:
    """One written word, where it is in the text and when it is spoken."""

    text: str
    """The word as written (``"$3.50"``)."""
    spoken: str
    """What was said for it (``"three dollars and fifty cents"``)."""
    char_start: int
    """Offset of the word in the synthesized text."""
    char_end: int
    """Offset just past the word."""
    start: float
    """Seconds from the start of the output."""
    end: float
    """Seconds from the start of the output."""
    sentence: int
    """Index of its sentence among the spoken ones (subtitles start a new cue there)."""
    phonemes: tuple[PhonemeTiming, ...]
    """Its phonemes in order."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, times rounded to the millisecond."""
        return {
            "text": self.text,
            "spoken": self.spoken,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "sentence": self.sentence,
            "phonemes": [
                {"phoneme": p.phoneme, "start": round(p.start, 3), "end": round(p.end, 3)}
                for p in self.phonemes
            ],
        }


def _is_modifier(symbol: str) -> bool:
    """Length marks, diacritics and other modifiers that belong to the phoneme before them."""
    return bool(symbol) and all(
        unicodedata.category(c) in ("Lm", "Mn", "Sk") and c not in _STRESS for c in symbol
    )


def _token_spans(aligned: AlignedSentence, frames: Sequence[int]) -> list[tuple[float, float]]:
    """[start, end) in frames of every id, blanks inside a word shared by its neighbours."""
    starts = [0] * len(frames)
    total = 0
    for i, n in enumerate(frames):
        starts[i] = total
        total += int(n)
    word = aligned.word_index
    blank = [s == "" for s in aligned.symbols]
    spans: list[tuple[float, float]] = []
    for j, n in enumerate(frames):
        a, b = float(starts[j]), float(starts[j] + n)
        if word[j] != NO_WORD and not blank[j]:
            if j >= 2 and blank[j - 1] and word[j - 2] == word[j]:
                a -= frames[j - 1] / 2
            if j + 2 < len(frames) and blank[j + 1] and word[j + 2] == word[j]:
                b += frames[j + 1] / 2
        spans.append((a, b))
    return spans


def _phonemes(
    members: Sequence[int], symbols: Sequence[str], spans: Sequence[tuple[float, float]]
) -> list[tuple[str, float, float]]:
    """Merge one word's ids into phonemes: stress marks forward, modifiers backward."""
    units: list[list[Any]] = []
    pending: tuple[str, float] | None = None  # a stress mark waiting for its phoneme
    for j in members:
        symbol, (a, b) = symbols[j].removeprefix("@"), spans[j]
        if symbol in _STRESS:
            pending = (pending[0] + symbol, pending[1]) if pending else (symbol, a)
        elif (
            units
            and pending is None
            and (_is_modifier(symbol) or units[-1][0].lstrip("ˈˌ")[-1:] + symbol in _PAIRS)
        ):
            units[-1][0] += symbol
            units[-1][2] = b
        else:
            if pending is not None:
                symbol, a = pending[0] + symbol, pending[1]
                pending = None
            units.append([symbol, a, b])
    if pending is not None and units:
        units[-1][0] += pending[0]
    return [(str(u[0]), float(u[1]), float(u[2])) for u in units]


def word_timings(
    aligned: AlignedSentence,
    frames: Sequence[int],
    *,
    words: Sequence[WrittenWord],
    seconds_per_frame: float,
    offset: float,
    sentence: int,
) -> list[WordTiming]:
    """Timings of one sentence's spoken words.

    Args:
        aligned: the sentence's ids and their words (``TextFrontend.encode_aligned``).
        frames: frames the model gave each id (the alignment's row sums), one per id.
        words: the written words with offsets into the whole text (``alignment.relocate``).
        seconds_per_frame: ``hop_length / sample_rate``.
        offset: seconds of output before this sentence.
        sentence: index of the sentence.
    """
    if len(frames) != len(aligned.ids):
        raise ValueError(f"{len(frames)} durations for {len(aligned.ids)} ids")
    spans = _token_spans(aligned, frames)
    members: dict[int, list[int]] = {}
    for j, w in enumerate(aligned.word_index):
        if w != NO_WORD and aligned.symbols[j]:
            members.setdefault(w, []).append(j)
    out: list[WordTiming] = []
    for w, ids in sorted(members.items()):
        phonemes = tuple(
            PhonemeTiming(phoneme=p, start=offset + a * seconds_per_frame,
                          end=offset + b * seconds_per_frame)
            for p, a, b in _phonemes(ids, aligned.symbols, spans)
        )  # fmt: skip
        if not phonemes:
            continue
        written = words[w]
        out.append(
            WordTiming(
                text=written.text,
                spoken=written.spoken,
                char_start=written.start,
                char_end=written.end,
                start=phonemes[0].start,
                end=phonemes[-1].end,
                sentence=sentence,
                phonemes=phonemes,
            )
        )
    return out


def timings_document(
    words: Sequence[WordTiming], *, text: str, sample_rate: int, duration: float
) -> dict[str, Any]:
    """The ``--timings`` JSON: the text, the output's length and every word with its phonemes."""
    return {
        "text": text,
        "sample_rate": sample_rate,
        "duration": round(duration, 3),
        "words": [w.to_dict() for w in words],
    }


def shift(
    words: Sequence[WordTiming], seconds: float, *, text: str, cursor: int, sentence: int
) -> tuple[list[WordTiming], int]:
    """Words moved ``seconds`` later, numbered from sentence ``sentence``, with offsets found
    again in ``text`` from ``cursor`` (a stream of several runs: SSML); and the new cursor."""
    out: list[WordTiming] = []
    first = words[0].sentence if words else 0
    for w in words:
        found = text.find(w.text, cursor)
        start = found if found >= 0 else cursor
        cursor = start + len(w.text) if found >= 0 else cursor
        out.append(
            dataclasses.replace(
                w,
                start=w.start + seconds,
                end=w.end + seconds,
                char_start=start,
                char_end=cursor,
                sentence=sentence + w.sentence - first,
                phonemes=tuple(
                    PhonemeTiming(phoneme=p.phoneme, start=p.start + seconds, end=p.end + seconds)
                    for p in w.phonemes
                ),
            )
        )
    return out, cursor
