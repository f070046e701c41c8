"""Word and phoneme timings from ``Voice``: arithmetic on a tiny voice, agreement with the audio
of the bundled voice (its silences fall between the words the timings give)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from glowtts_cli.api import SynthesisOptions, Voice

TEXT = "Hello world, this is a test.\n\nA second   sentence follows!"


@pytest.fixture(scope="module")
def voice(tiny_voice_dir: Path) -> Voice:
    return Voice.load(tiny_voice_dir, device="cpu", threads=1)


def test_timings_cover_every_word_in_order_with_offsets_into_the_text(voice: Voice) -> None:
    audio = voice.synthesize(TEXT, SynthesisOptions(seed=1), timings=True)
    words = audio.words
    assert [w.text for w in words] == [
        "Hello", "world", "this", "is", "a", "test", "A", "second", "sentence", "follows",
    ]  # fmt: skip
    assert all(TEXT[w.char_start : w.char_end] == w.text for w in words)
    assert [w.sentence for w in words] == [0] * 6 + [1] * 4
    times = [t for w in words for t in (w.start, w.end)]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= audio.duration
    for w in words:
        assert w.phonemes and w.phonemes[0].start == w.start and w.phonemes[-1].end == w.end
        assert all(a.end == b.start for a, b in zip(w.phonemes, w.phonemes[1:], strict=False))


def test_timings_follow_the_sentence_silence_and_the_audio_pieces(voice: Voice) -> None:
    options = SynthesisOptions(seed=2, sentence_silence=0.5)
    first, second = voice.stream(TEXT, options, timings=True)
    assert first.words[-1].end <= first.duration - 0.5  # the silence comes after the last word
    assert second.words[0].start >= first.duration
    assert second.words[-1].end <= first.duration + second.duration


def test_chunked_stream_gives_the_same_timings(voice: Voice) -> None:
    options = SynthesisOptions(seed=3)
    whole = voice.synthesize(TEXT, options, timings=True)
    pieces = list(voice.stream(TEXT, options, chunk_frames=8, timings=True))
    assert len(pieces) > 2 and sum(bool(p.words) for p in pieces) == 2
    assert [w for p in pieces for w in p.words] == list(whole.words)
    assert sum(len(p.samples) for p in pieces) == len(whole.samples)


def test_length_scale_stretches_the_timings(voice: Voice) -> None:
    text = "Hello world, this is a test."
    normal = voice.synthesize(text, SynthesisOptions(seed=4, length_scale=1.0), timings=True)
    slow = voice.synthesize(text, SynthesisOptions(seed=4, length_scale=3.0), timings=True)
    assert slow.words[-1].end == pytest.approx(3 * normal.words[-1].end, rel=0.25)


def test_without_timings_no_words_are_computed(voice: Voice) -> None:
    assert voice.synthesize(TEXT, SynthesisOptions(seed=1)).words == ()


STOPS = frozenset("ptkbdɡg") | {"tʃ", "dʒ", "ʔ"}
"""Plosives and affricates: their closure is a silence inside a word."""


def _silences(samples: np.ndarray, rate: int, *, db: float = -40.0) -> list[tuple[float, float]]:
    """Stretches of at least 60 ms quieter than ``db`` below the peak (10 ms windows)."""
    hop = rate // 100
    n = len(samples) // hop
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1))
    quiet = 20 * np.log10(rms / rms.max() + 1e-9) < db
    runs, i = [], 0
    while i < n:
        j = i
        while j < n and quiet[j]:
            j += 1
        if j - i >= 6:
            runs.append((i / 100, j / 100))
        i = max(j, i + 1)
    return runs


@pytest.mark.slow
def test_bundled_voice_timings_agree_with_its_audio() -> None:
    """Every pause in the audio falls between two words, and every clause mark has a pause."""
    text = "First, we wait. Then, after a pause, the second part begins; it ends here."
    voice = Voice.load(device="cpu", threads=1)
    audio = voice.synthesize(text, SynthesisOptions(seed=0, sentence_silence=0.3), timings=True)
    words = audio.words
    assert len(words) == 14
    silences = _silences(audio.samples, audio.sample_rate)
    assert len(silences) >= 5
    for a, b in silences:
        # A quiet onset ("f", "th") may read as silence for a few frames, no more; a longer
        # silence inside a word must be a stop's closure: within that stop's own timing, give or
        # take three frames (35 ms: a stop's quiet release runs into the next phoneme).
        for w in words:
            if min(b, w.end) - max(a, w.start) <= 0.06:
                continue
            stops = [p for p in w.phonemes if p.phoneme.strip("ˈˌ") in STOPS]
            closure = [p for p in stops if p.start - 0.035 <= a and b <= p.end + 0.035]
            assert closure, f"silence {a:.2f}-{b:.2f} s lies inside {w.text!r}, not in a stop"
    for w, after in itertools.pairwise(words):
        if text[w.char_end] in ",.;":
            gap = [min(b, after.start) - max(a, w.end) for a, b in silences]
            assert max(gap) >= 0.05, f"no pause between {w.text!r} and {after.text!r}"
