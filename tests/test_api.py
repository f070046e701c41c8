"""The Python API on a tiny random-weight voice: shapes, rates, seeds, streaming, options."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glowtts_cli.api import Audio, SynthesisOptions, Voice, select_device, speak
from glowtts_cli.errors import ConfigError, TextError, VoiceNotFoundError

TEXT = "Hello world. This is a second sentence!"


@pytest.fixture(scope="module")
def voice(tiny_voice_dir: Path) -> Voice:
    return Voice.load(tiny_voice_dir, device="cpu")


def test_speak_returns_mono_float32_at_the_voice_rate(tiny_voice_dir: Path) -> None:
    audio = speak(TEXT, tiny_voice_dir, seed=1)
    assert isinstance(audio, Audio)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == 22050
    assert 0.1 < audio.duration < 30
    assert np.all(np.abs(audio.samples) <= 1.0)


def test_seed_makes_output_reproducible(voice: Voice) -> None:
    a = voice.synthesize(TEXT, SynthesisOptions(seed=7))
    b = voice.synthesize(TEXT, SynthesisOptions(seed=7))
    c = voice.synthesize(TEXT, SynthesisOptions(seed=8))
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.samples.shape != c.samples.shape or not np.array_equal(a.samples, c.samples)


def test_stream_yields_one_piece_per_sentence_equal_to_synthesize(voice: Voice) -> None:
    options = SynthesisOptions(seed=3, sentence_silence=0.1)
    pieces = list(voice.stream(TEXT, options))
    assert len(pieces) == 2
    whole = voice.synthesize(TEXT, options)
    np.testing.assert_array_equal(np.concatenate([p.samples for p in pieces]), whole.samples)
    silence = round(0.1 * 22050)
    assert np.all(pieces[0].samples[-silence:] == 0)


def test_length_scale_slows_speech(voice: Voice) -> None:
    normal = voice.synthesize(TEXT, SynthesisOptions(noise_scale=0.0, sentence_silence=0.0))
    slow = voice.synthesize(
        TEXT, SynthesisOptions(noise_scale=0.0, length_scale=2.0, sentence_silence=0.0)
    )
    assert slow.duration > 1.6 * normal.duration


def test_batch_matches_single_items_with_zero_noise(voice: Voice) -> None:
    texts = ["A short one.", "This one is quite a bit longer than the first."]
    options = SynthesisOptions(noise_scale=0.0)
    batch = voice.synthesize_batch(texts, options)
    for text, audio in zip(texts, batch, strict=True):
        (mel_alone,) = voice.mels([voice.frontend.encode(text)], options)
        assert len(audio.samples) == mel_alone.shape[-1] * 256


def test_save_round_trip(voice: Voice, tmp_path: Path) -> None:
    audio = voice.synthesize("Save me.", SynthesisOptions(seed=0))
    for ext in ("wav", "flac", "ogg"):
        path = audio.save(tmp_path / f"x.{ext}")
        data, rate = sf.read(path)
        assert rate == 22050 and abs(len(data) - len(audio.samples)) <= 2048


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("noise_scale", -0.1),
        ("noise_scale", math.nan),
        ("length_scale", 0.0),
        ("length_scale", 1e6),
        ("sentence_silence", -1.0),
        ("length_scale", math.inf),
    ],
)
def test_bad_scales_are_clear_errors(field: str, value: float) -> None:
    """The library names the field; the CLI maps it to its flag (issue 18)."""
    with pytest.raises(ConfigError, match=f"^{field} must be"):
        SynthesisOptions(**{field: value})


def test_speakers(tiny_multispeaker_voice_dir: Path, voice: Voice) -> None:
    multi = Voice.load(tiny_multispeaker_voice_dir, device="cpu")
    a = multi.synthesize("Hi there.", SynthesisOptions(speaker="spk0", noise_scale=0.0))
    b = multi.synthesize("Hi there.", SynthesisOptions(speaker=2, noise_scale=0.0))
    assert a.samples.shape != b.samples.shape or not np.array_equal(a.samples, b.samples)
    with pytest.raises(ConfigError, match=r"Unknown speaker 'spk9'.*") as info:
        multi.synthesize("Hi.", SynthesisOptions(speaker="spk9"))
    assert "spk0, spk1, spk2" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="single speaker"):
        voice.synthesize("Hi.", SynthesisOptions(speaker="bob"))


def test_empty_and_unpronounceable_text(voice: Voice) -> None:
    with pytest.raises(TextError):
        voice.synthesize("   ")
    with pytest.raises(TextError):
        voice.synthesize("... !!! ???")


def test_unknown_voice_suggests(tmp_path: Path) -> None:
    with pytest.raises(VoiceNotFoundError, match="not found"):
        Voice.load(str(tmp_path / "nope"))


def test_device_selection() -> None:
    assert select_device("cpu").type == "cpu"
    assert select_device(None).type in ("cpu", "cuda")
    with pytest.raises(ConfigError):
        select_device("tpu")


def test_chunked_stream_equals_whole_sentences(voice: Voice) -> None:
    text = "A first sentence that is long enough to be cut into pieces. And a second one."
    options = SynthesisOptions(seed=5, sentence_silence=0.1)
    whole = list(voice.stream(text, options))
    pieces = list(voice.stream(text, options, chunk_frames=8))
    assert len(pieces) > len(whole)
    assert sum(p.sentence_end for p in pieces) == len(whole) == 2
    assert pieces[-1].sentence_end and not pieces[0].sentence_end
    joined = np.concatenate([p.samples for p in pieces])
    expected = np.concatenate([w.samples for w in whole])
    assert joined.shape == expected.shape
    # Griffin-Lim is not local in time: it vocodes a sentence in one piece, so equality is exact.
    np.testing.assert_allclose(joined, expected, atol=1e-6)
