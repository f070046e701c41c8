"""``Voice.stream_ssml``: pauses as asked (to the sample on a tiny voice, within 50 ms in the
bundled voice's audio), speed per run, timings across runs, every docs example synthesized."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glowtts_cli.api import Audio, SynthesisOptions, Voice
from glowtts_cli.errors import TextError
from glowtts_cli.text.ssml import parse_ssml, spoken_text
from tests.test_api_timings import _silences
from tests.text.test_ssml import doc_examples


@pytest.fixture(scope="module")
def voice(tiny_voice_dir: Path) -> Voice:
    return Voice.load(tiny_voice_dir, device="cpu", threads=1)


def _say(voice: Voice, ssml: str, **options: float) -> Audio:
    pieces = list(voice.stream_ssml(ssml, SynthesisOptions(seed=0, **options), timings=True))
    return Audio.concatenate(pieces, voice.sample_rate)


@pytest.mark.parametrize("seconds", [0.2, 1.5, 3.0])
def test_break_is_the_gap_between_the_words_around_it(voice: Voice, seconds: float) -> None:
    audio = _say(voice, f'<speak>Hello there<break time="{seconds * 1000:g}ms"/>and now.</speak>')
    there, after = audio.words[1], audio.words[2]
    assert (there.text, after.text) == ("there", "and")
    assert after.start - there.end == pytest.approx(seconds, abs=1 / voice.sample_rate)


def test_sentence_silence_between_runs_and_sentences(voice: Voice) -> None:
    ssml = "<speak><s>One two</s><s>Three four.</s> Five six.</speak>"
    audio = _say(voice, ssml, sentence_silence=0.5)
    assert [w.text for w in audio.words] == ["One", "two", "Three", "four", "Five", "six"]
    assert [w.sentence for w in audio.words] == [0, 0, 1, 1, 2, 2]
    for before, after in ((1, 2), (3, 4)):
        assert audio.words[after].start - audio.words[before].end >= 0.5 - 1e-3
    text = spoken_text(parse_ssml(ssml))
    assert all(text[w.char_start : w.char_end] == w.text for w in audio.words)
    assert audio.duration - audio.words[-1].end >= 0.5 - 1e-3  # the last sentence's silence


@pytest.mark.parametrize(("rate", "length_scale"), [("200%", 0.5), ("x-slow", 2.0)])
def test_prosody_rate_divides_the_length_scale(
    voice: Voice, rate: str, length_scale: float
) -> None:
    words = "This sentence is said at one speed."
    said = _say(voice, f'<speak><prosody rate="{rate}">{words}</prosody></speak>')
    options = SynthesisOptions(seed=0, length_scale=length_scale)
    plain = voice.synthesize(words, options, timings=True)
    assert [(w.start, w.end) for w in said.words] == [(w.start, w.end) for w in plain.words]


@pytest.mark.parametrize("example", doc_examples())
def test_every_docs_example_is_spoken(voice: Voice, example: str) -> None:
    audio = _say(voice, example)
    assert audio.duration > 0.2 and audio.words
    assert np.isfinite(audio.samples).all()


def test_nothing_to_say_and_malformed_ssml_are_text_errors(voice: Voice) -> None:
    with pytest.raises(TextError, match="nothing to say"):
        list(voice.stream_ssml('<speak><break time="1s"/></speak>'))
    with pytest.raises(TextError, match="line 1, column"):
        list(voice.stream_ssml("<speak>Hi</spek>"))


@pytest.mark.slow
def test_bundled_voice_break_is_that_long_in_the_audio() -> None:
    """``<break time="1500ms"/>``: 1.5 s ± 50 ms of silence in the audio itself."""
    voice = Voice.load(device="cpu", threads=1)
    ssml = '<speak>Hello there<break time="1500ms"/>and now we go on.</speak>'
    audio = Audio.concatenate(
        list(voice.stream_ssml(ssml, SynthesisOptions(seed=0), timings=True)), voice.sample_rate
    )
    there_end, and_start = audio.words[1].end, audio.words[2].start
    (pause,) = [
        (a, b)
        for a, b in _silences(audio.samples, audio.sample_rate)
        if a < and_start and b > there_end
    ]
    assert pause[1] - pause[0] == pytest.approx(1.5, abs=0.05)
