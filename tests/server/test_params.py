"""Request parsing and voice lookup, without HTTP."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from glowtts_cli.config import InferenceDefaults
from glowtts_cli.server.params import RequestError, parse_openai, parse_simple
from glowtts_cli.server.registry import OPENAI_VOICES, VoiceRegistry


def test_openai_body_with_extras() -> None:
    request = parse_openai(
        {
            "model": "gpt-4o-mini-tts",
            "input": "Hi.",
            "voice": {"id": "my-voice"},
            "instructions": "Speak cheerfully.",
            "stream_format": "audio",
            "response_format": "FLAC",
            "noise_scale": 0,
            "seed": 5,
        },
        max_chars=10,
    )
    assert (request.text, request.voice, request.format) == ("Hi.", "my-voice", "flac")
    assert request.options.noise_scale == 0.0 and request.options.seed == 5


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "tts-1", "input": "Hi.", "voice": "a", "stream_format": "sse"}, "stream_format"),
        ({"model": "tts-1", "input": "Hi.", "voice": "a", "speed": 2, "length_scale": 1}, "speed"),
        ({"model": "tts-1", "input": "Hi.", "voice": 3}, "voice"),
        ({"model": "tts-1", "input": "Hi.", "voice": "a", "speaker": True}, "speaker"),
        ({"model": "tts-1", "input": "Hi.", "voice": "a", "seed": 1.5}, "seed"),
        ({"model": "tts-1", "input": "Hi.", "voice": "a", "speed": float("nan")}, "speed"),
        ({"model": "tts-1", "input": ["Hi."], "voice": "a"}, "input"),
    ],
)
def test_openai_mistakes_name_their_parameter(body: dict[str, Any], param: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_openai(body, max_chars=100)
    assert info.value.param == param and info.value.status == 400


def test_simple_parameters_are_strings() -> None:
    request = parse_simple(
        {"text": "Hi.", "speaker": "2", "noise_scale": "0.3", "seed": "9", "download": "true"},
        max_chars=10,
    )
    assert request.speaker == 2 and request.options.noise_scale == 0.3
    assert request.options.seed == 9 and request.download and request.format == "wav"
    with pytest.raises(RequestError) as info:
        parse_simple({"text": "x" * 11}, max_chars=10)
    assert info.value.status == 413 and "at most 10" in info.value.message


def test_speed_divides_the_voices_length_scale(tiny_voices: list[tuple[str, Any]]) -> None:
    cfg = dataclasses.replace(tiny_voices[0][1].cfg, inference=InferenceDefaults(length_scale=1.2))
    request = parse_openai(
        {"model": "tts-1", "input": "Hi.", "voice": "v", "speed": 2}, max_chars=9
    )
    assert request.synthesis_options(cfg, None).length_scale == pytest.approx(0.6)
    plain = dataclasses.replace(request, speed=None)
    assert plain.synthesis_options(cfg, 1).length_scale is None
    assert plain.synthesis_options(cfg, 1).speaker == 1


@pytest.fixture(scope="module")
def registry(tiny_voices: list[tuple[str, Any]]) -> VoiceRegistry:
    """The three-speaker voice first, so OpenAI's names go to its speakers."""
    return VoiceRegistry(list(reversed(tiny_voices)))


def test_openai_names_take_the_default_voices_speakers_in_turn(registry: VoiceRegistry) -> None:
    assert [v.id for v in registry.voices] == ["tiny-test", "tiny-test-2"]
    assert registry.default.speaker_names() == ["spk0", "spk1", "spk2"]
    speakers = [registry.find(name, None).speaker for name in OPENAI_VOICES[:4]]
    assert speakers == [0, 1, 2, 0]
    assert registry.find("alloy", "spk2").speaker == 2  # an explicit speaker wins
    assert registry.find("ECHO", None).served is registry.default
    assert registry.listing()["openai_voices"]["ash"] == {"voice": "tiny-test", "speaker": "spk1"}


def test_voices_are_found_by_id_or_spec(registry: VoiceRegistry) -> None:
    single = registry.voices[1]
    assert registry.find("tiny-test-2", None) == registry.find(single.spec, None)
    assert registry.find("tiny-test-2", 0).speaker is None
    assert registry.find(None, None).served is registry.default
    with pytest.raises(RequestError, match="Did you mean 'tiny-test'"):
        registry.find("tiny-tset", None)
    with pytest.raises(RequestError, match="Speakers: spk0, spk1, spk2") as info:
        registry.find("tiny-test", 3)
    assert info.value.code == "speaker_not_found"
