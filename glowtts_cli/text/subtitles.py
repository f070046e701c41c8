"""Subtitles from word timings: SubRip (``.srt``) cues per phrase, WebVTT (``.vtt``) with a
timestamp before every word (karaoke-style highlighting in players that support it).

A phrase ends at a sentence end, at a clause mark after a word (, ; : — …) or before it would pass
``MAX_CUE_CHARS``; its text is the original text of its words, whitespace collapsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from glowtts_cli.text.timings import WordTiming

MAX_CUE_CHARS = 42
"""Longest cue line, the usual subtitle guideline."""
_CLAUSE_MARKS = frozenset(",;:—….!?")


@dataclass(frozen=True)
class Cue:
    """One subtitle: its words and the text they cover."""

    words: tuple[WordTiming, ...]
    text: str

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def _ends_clause(word: WordTiming, text: str) -> bool:
    after = text[word.char_end : word.char_end + 3].lstrip("\"')]}”’»")
    return bool(after) and after[0] in _CLAUSE_MARKS


def _cue(words: list[WordTiming], text: str) -> Cue:
    span = text[words[0].char_start : words[-1].char_end]
    after = text[words[-1].char_end : words[-1].char_end + 3]
    closing = after[: len(after) - len(after.lstrip("\"')]}”’»,;:.!?…"))]
    return Cue(words=tuple(words), text=" ".join((span + closing).split()))


def cues(words: Sequence[WordTiming], text: str) -> list[Cue]:
    """Group timed words into phrase cues."""
    out: list[Cue] = []
    current: list[WordTiming] = []
    for word in words:
        if current:
            chars = word.char_end - current[0].char_start
            if word.sentence != current[-1].sentence or chars > MAX_CUE_CHARS:
                out.append(_cue(current, text))
                current = []
        current.append(word)
        if _ends_clause(word, text):
            out.append(_cue(current, text))
            current = []
    if current:
        out.append(_cue(current, text))
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(words: Sequence[WordTiming], text: str) -> str:
    """SubRip: numbered cues, ``HH:MM:SS,mmm`` times."""
    blocks = [
        f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n"
        for i, c in enumerate(cues(words, text), start=1)
    ]
    return "\n".join(blocks)


def _vtt_text(cue: Cue, text: str) -> str:
    """The cue's text with ``<HH:MM:SS.mmm>`` before each word after the first."""
    parts: list[str] = []
    for i, word in enumerate(cue.words):
        end = cue.words[i + 1].char_start if i + 1 < len(cue.words) else None
        piece = text[word.char_start : end] if end is not None else word.text
        piece = " ".join(piece.split()) + (" " if end is not None else "")
        stamp = f"<{_stamp(word.start, '.')}>" if i else ""
        parts.append(stamp + _escape(piece))
    tail = cue.text[len(" ".join(text[cue.words[0].char_start : cue.words[-1].char_end].split())) :]
    return "".join(parts) + _escape(tail)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(words: Sequence[WordTiming], text: str) -> str:
    """WebVTT: phrase cues with a timestamp tag before every word."""
    blocks = ["WEBVTT\n"]
    for c in cues(words, text):
        blocks.append(f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{_vtt_text(c, text)}\n")
    return "\n".join(blocks)


def subtitles(words: Sequence[WordTiming], text: str, suffix: str) -> str:
    """``.srt`` or ``.vtt`` text, chosen by the file suffix."""
    if suffix.lower() == ".vtt":
        return to_vtt(words, text)
    return to_srt(words, text)
