"""The official ``openai`` client, pointed at ``glowtts serve``, gets real audio back."""

from __future__ import annotations

import io
import time

import numpy as np
import openai
import pytest
import soundfile as sf

from tests.server.httpkit import ServeProcess, call

TEXT = "Hello there. This is a test of the speech server."
EXACT = {"seed": 7, "noise_scale": 0.0, "sentence_silence": 0.0}
"""Deterministic audio, so durations can be compared across requests."""


@pytest.fixture(scope="module")
def client(served: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key="not-needed", max_retries=0)


@pytest.mark.parametrize(
    ("fmt", "rate"), [("wav", 22050), ("flac", 22050), ("mp3", 22050), ("opus", 24000)]
)
def test_formats_decode(client: openai.OpenAI, fmt: str, rate: int) -> None:
    response = client.audio.speech.create(
        model="tts-1",
        voice="alloy",
        input=TEXT,
        response_format=fmt,  # type: ignore[arg-type]
    )
    samples, sample_rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert sample_rate == rate
    assert samples.ndim == 1 and len(samples) > 0.2 * rate
    assert np.isfinite(samples).all() and np.abs(samples).max() > 1e-3


def test_default_format_is_mp3_like_openai(client: openai.OpenAI) -> None:
    response = client.audio.speech.create(model="tts-1", voice="nova", input=TEXT)
    assert response.response.headers["content-type"] == "audio/mpeg"
    assert sf.info(io.BytesIO(response.content)).format == "MP3"


def test_pcm_is_24khz_16bit_like_openai(client: openai.OpenAI) -> None:
    wav = client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="wav", extra_body=EXACT
    )
    pcm = client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="pcm", extra_body=EXACT
    )
    reference, rate = sf.read(io.BytesIO(wav.content), dtype="float32")
    assert len(pcm.content) % 2 == 0
    raw = np.frombuffer(pcm.content, dtype="<i2")
    assert pcm.response.headers["x-sample-rate"] == "24000"
    assert abs(len(raw) / 24000 - len(reference) / rate) < 0.01


def test_speed_maps_to_length_scale(client: openai.OpenAI) -> None:
    def wav(**settings: float) -> bytes:
        response = client.audio.speech.create(
            model="tts-1-hd",
            voice="alloy",
            input=TEXT,
            response_format="wav",
            extra_body={**EXACT, **settings},
        )
        return response.content

    # The tiny voice recommends length_scale 1.0, so speed s means length_scale 1/s.
    assert wav(speed=2.0) == wav(length_scale=0.5)
    assert wav(speed=0.5) == wav(length_scale=2.0)
    assert len(wav(speed=2.0)) < len(wav(speed=1.0)) < len(wav(speed=0.5))


def test_models_and_voices_are_listed(client: openai.OpenAI, served: ServeProcess) -> None:
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts"} <= {m.id for m in client.models.list()}
    listing = call(served.port, "GET", "/v1/voices").json()
    voices = {v["id"]: v for v in listing["data"]}
    assert voices["tiny-test"]["default"] and voices["tiny-test"]["speakers"] == []
    assert voices["tiny-test-2"]["speakers"] == ["spk0", "spk1", "spk2"]
    assert listing["openai_voices"]["alloy"] == {"voice": "tiny-test", "speaker": None}


def test_our_voice_names_and_speakers(client: openai.OpenAI) -> None:
    def audio(speaker: str) -> np.ndarray:
        response = client.audio.speech.create(
            model="glowtts",
            voice="tiny-test-2",
            input=TEXT,
            response_format="wav",
            extra_body={**EXACT, "speaker": speaker},
        )
        return sf.read(io.BytesIO(response.content), dtype="float32")[0]

    first, second = audio("spk0"), audio("spk2")
    assert first.shape != second.shape or not np.allclose(first, second)
    assert np.array_equal(audio("spk0"), first)  # same seed, same speaker: same audio


def test_errors_reach_the_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(model="tts-1", voice="allloy", input=TEXT)
    assert "Did you mean 'alloy'" in info.value.message
    with pytest.raises(openai.BadRequestError, match="speaker"):
        client.audio.speech.create(
            model="tts-1", voice="tiny-test-2", input=TEXT, extra_body={"speaker": "spk9"}
        )


def test_streaming_sends_the_first_sentence_early(
    client: openai.OpenAI, served: ServeProcess
) -> None:
    text = " ".join(f"This is sentence number {i}." for i in range(40))
    start = time.perf_counter()
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=text, response_format="pcm", extra_body=EXACT
    ) as response:
        assert response.headers.get("transfer-encoding") == "chunked"
        chunks = response.iter_bytes()
        first = next(chunks)
        first_at = time.perf_counter() - start
        busy = call(served.port, "GET", "/health").json()["queue"]["active"]
        rest = b"".join(chunks)
    total = time.perf_counter() - start
    assert first and rest
    assert busy == 1  # still synthesizing the later sentences when the first one arrived
    assert first_at < 0.5 * total, (first_at, total)
    assert len(first) < 0.2 * len(first + rest)
