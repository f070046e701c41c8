"""``/api/tts?timings=1`` (JSON with the audio and word timings) and SSML recognised by its
``<speak>``, on the real ``glowtts serve`` process."""

from __future__ import annotations

import base64
import io
import json
import urllib.parse

import soundfile as sf

from tests.server.httpkit import ServeProcess, call

TEXT = "Hello there. How are you today?"


def test_timings_come_as_json_with_the_audio(served: ServeProcess) -> None:
    path = "/api/tts?" + urllib.parse.urlencode({"text": TEXT, "timings": "1", "seed": "1"})
    reply = call(served.port, "GET", path)
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"] == "application/json"
    doc = json.loads(reply.body)
    samples, rate = sf.read(io.BytesIO(base64.b64decode(doc["audio"])), dtype="float32")
    assert doc["format"] == "wav" and rate == doc["sample_rate"]
    assert abs(len(samples) / rate - doc["duration"]) < 0.002
    assert [w["text"] for w in doc["words"]] == ["Hello", "there", "How", "are", "you", "today"]
    assert all(TEXT[w["char_start"] : w["char_end"]] == w["text"] for w in doc["words"])
    streamed = call(served.port, "GET", path + "&stream=1")
    assert streamed.status == 400 and json.loads(streamed.body)["error"]["param"] == "timings"


def test_ssml_is_recognised_and_its_breaks_kept(served: ServeProcess) -> None:
    ssml = '<speak>Hello there<break time="1200ms"/>and <sub alias="goodbye">bye</sub>.</speak>'
    reply = call(served.port, "POST", "/api/tts", {"text": ssml, "timings": True})
    assert reply.status == 200, reply.body[:300]
    doc = json.loads(reply.body)
    assert doc["text"] == "Hello there and goodbye."
    words = doc["words"]
    assert [w["text"] for w in words] == ["Hello", "there", "and", "goodbye"]
    assert abs(words[2]["start"] - words[1]["end"] - 1.2) < 0.002
    bad = call(served.port, "GET", "/api/tts?" + urllib.parse.urlencode({"text": "<speak>x</spk>"}))
    assert bad.status == 400
    assert "SSML line 1, column" in json.loads(bad.body)["error"]["message"]
