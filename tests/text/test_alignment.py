"""Word alignment of token ids, timings from durations, and subtitles (no model needed)."""

from __future__ import annotations

import re

import pytest

from glowtts_cli.config import TextConfig
from glowtts_cli.text.alignment import (
    NO_WORD,
    AlignedSentence,
    WrittenWord,
    label_by_alignment,
    relocate,
    spoken_words,
)
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.normalize import normalize
from glowtts_cli.text.subtitles import cues, to_srt, to_vtt
from glowtts_cli.text.timings import WordTiming, timings_document, word_timings

SENTENCES = [
    "Hello world, this is a test of word timings.",
    "On the 5th of March, 2024 we paid $3.50 for 5 km.",
    "#MeToo was in the U.S. news.",
    'Louis XIV said: "on the other hand, it is 3x faster"!',
    "See https://example.com/a/b (now).",
]


def _frontend(kind: str) -> TextFrontend:
    if kind == "official":
        return TextFrontend(TextConfig(phonemizer="official", language="en-us"))
    return TextFrontend(TextConfig(phonemizer=kind, add_blank=True))


def _sounds(aligned: AlignedSentence) -> list[tuple[str, str]]:
    groups: dict[int, list[str]] = {}
    for symbol, w in zip(aligned.symbols, aligned.word_index, strict=True):
        if w != NO_WORD:
            groups.setdefault(w, []).append(symbol)
    return [(aligned.words[w].text, "".join(g)) for w, g in groups.items()]


@pytest.mark.requires_espeak
@pytest.mark.parametrize("kind", ["espeak", "characters", "official"])
def test_aligned_ids_equal_encode(kind: str) -> None:
    frontend = _frontend(kind)
    for sentence, aligned in zip(SENTENCES, frontend.encode_aligned(SENTENCES), strict=True):
        assert aligned is not None
        assert aligned.ids == frontend.encode(sentence)
        assert len(aligned.symbols) == len(aligned.ids) == len(aligned.word_index)
        labelled = [w for w in aligned.word_index if w != NO_WORD]
        assert labelled == sorted(labelled), "words come in order"


@pytest.mark.requires_espeak
def test_espeak_joins_and_splits_are_followed_back_to_the_written_words() -> None:
    (aligned,) = _frontend("espeak").encode_aligned(["#MeToo was in the U.S. news, a test."])
    assert aligned is not None
    assert _sounds(aligned) == [
        ("#MeToo", "hˈæʃtæɡmˌiːtˈuː"),  # split by espeak into two groups
        ("was", "wʌz"),
        ("in", "ɪn"),  # "in the" is one group "ɪnðə" for espeak
        ("the", "ðə"),
        ("U.S.", "jˈuːˈɛs"),
        ("news", "nˈuːz"),
        ("a", "ɐ"),  # "a" alone is the letter "ˈeɪ": matched by position
        ("test", "tˈɛst"),
    ]
    assert [w.spoken for w in aligned.words][:2] == ["hashtag MeToo", "was"]


def test_spoken_words_follow_context() -> None:
    tokens = ["It", "costs", "$2.5", "million", "for", "5", "km", "on", "March", "5,", "2024."]
    spoken = spoken_words(tokens, normalize)
    assert [w for ws in spoken for w in ws] == normalize(" ".join(tokens)).split()
    by_token = dict(zip(tokens, [" ".join(ws) for ws in spoken], strict=True))
    assert by_token["$2.5"] == "two point five"
    assert by_token["million"] == "million dollars"
    assert by_token["km"] == "kilometers"
    assert by_token["2024."] == "twenty twenty-four."


def test_label_by_alignment_gives_an_unmatched_group_the_word_between() -> None:
    labels = label_by_alignment("ɪz ɐ tˈɛst", ["ɪz", "ˈeɪ", "tˈɛst"])
    assert labels == [0, 0, NO_WORD, 1, NO_WORD, 2, 2, 2, 2, 2]


def test_relocate_finds_words_in_the_original_text() -> None:
    text = "  Hello,\n\n  (big)   world!  Again."
    sentence = "Hello, (big) world!"
    words = [WrittenWord(text=t, start=0, end=0, spoken=t) for t in ("Hello", "big", "world")]
    located, cursor = relocate(words, sentence, text, 0)
    assert [(w.text, text[w.start : w.end]) for w in located] == [
        ("Hello", "Hello"),
        ("big", "big"),
        ("world", "world"),
    ]
    assert text[cursor:].strip() == "Again."


def _aligned(symbols: list[str], word_index: list[int], n_words: int) -> AlignedSentence:
    words = tuple(
        WrittenWord(text=f"w{i}", start=3 * i, end=3 * i + 2, spoken=f"w{i}")
        for i in range(n_words)
    )
    return AlignedSentence(
        text="w0 w1",
        ids=list(range(len(symbols))),
        symbols=tuple(symbols),
        word_index=tuple(word_index),
        words=words,
    )


def test_word_timings_come_from_the_durations_with_blanks_shared_inside_words() -> None:
    # blank h blank ˈ blank a blank ɪ blank ␠ blank b blank .  blank
    symbols = ["", "h", "", "ˈ", "", "a", "", "ɪ", "", " ", "", "b", "", ".", ""]
    words = [-1, 0, -1, 0, -1, 0, -1, 0, -1, -1, -1, 1, -1, -1, -1]
    frames = [2, 3, 2, 1, 2, 4, 2, 3, 2, 5, 1, 6, 1, 8, 0]
    aligned = _aligned(symbols, words, 2)
    timed = word_timings(
        aligned, frames, words=aligned.words, seconds_per_frame=0.01, offset=1.0, sentence=0
    )
    first, second = timed
    assert [p.phoneme for p in first.phonemes] == ["h", "ˈaɪ"]  # stress forward, diphthong
    # h: frames 2..5 plus half the next blank (1): 2..6; the word starts at h's own start
    assert first.start == pytest.approx(1.02) and first.phonemes[0].end == pytest.approx(1.06)
    assert first.phonemes[1].start == pytest.approx(1.06)  # contiguous inside a word
    # ... and ends at its last phoneme's own end (the blank after it is at the word's edge)
    assert first.end == pytest.approx(1.0 + (2 + 3 + 2 + 1 + 2 + 4 + 2 + 3) * 0.01)
    # the space, the blanks at the edges and the period are gaps, not words
    assert second.start == pytest.approx(1.0 + sum(frames[:11]) * 0.01)
    assert second.end == pytest.approx(1.0 + sum(frames[:12]) * 0.01)
    assert (second.char_start, second.char_end) == (3, 5)
    doc = timings_document(timed, text="w0 w1", sample_rate=100, duration=2.0)
    assert doc["words"][1]["phonemes"] == [{"phoneme": "b", "start": 1.27, "end": 1.33}]


def test_word_timings_refuse_durations_of_another_length() -> None:
    aligned = _aligned(["", "a", ""], [-1, 0, -1], 1)
    with pytest.raises(ValueError, match="2 durations for 3 ids"):
        word_timings(
            aligned, [1, 2], words=aligned.words, seconds_per_frame=0.01, offset=0, sentence=0
        )


def _timed(text: str, spans: list[tuple[int, float, float]]) -> list[WordTiming]:
    out = []
    for sentence, start, end in spans:
        m = re.compile(r"[\w']+").search(text, out[-1].char_end if out else 0)
        assert m
        out.append(
            WordTiming(
                text=m.group(0), spoken=m.group(0), char_start=m.start(), char_end=m.end(),
                start=start, end=end, sentence=sentence, phonemes=(),
            )
        )  # fmt: skip
    return out


TEXT = "Hello there, old friend. How are you?"
WORDS = [(0, 0.1, 0.4), (0, 0.45, 0.8), (0, 1.0, 1.2), (0, 1.25, 1.7), (1, 2.2, 2.4),
         (1, 2.45, 2.6), (1, 2.65, 3.0)]  # fmt: skip


def test_cues_break_at_clause_marks_and_sentences() -> None:
    texts = [c.text for c in cues(_timed(TEXT, WORDS), TEXT)]
    assert texts == ["Hello there,", "old friend.", "How are you?"]


def test_srt_and_vtt() -> None:
    words = _timed(TEXT, WORDS)
    assert to_srt(words, TEXT).startswith(
        "1\n00:00:00,100 --> 00:00:00,800\nHello there,\n\n2\n00:00:01,000 --> 00:00:01,700\n"
    )
    vtt = to_vtt(words, TEXT)
    assert vtt.startswith("WEBVTT\n\n00:00:00.100 --> 00:00:00.800\nHello <00:00:00.450>there,\n")
    assert "00:00:02.200 --> 00:00:03.000\nHow <00:00:02.450>are <00:00:02.650>you?\n" in vtt


def test_long_phrases_are_cut_into_short_cues() -> None:
    text = " ".join(["word"] * 30)
    words = _timed(text, [(0, i * 0.3, i * 0.3 + 0.2) for i in range(30)])
    assert all(len(c.text) <= 42 for c in cues(words, text))
    assert sum(len(c.words) for c in cues(words, text)) == 30
