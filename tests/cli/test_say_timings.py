"""``glowtts say --timings/--subtitles/--ssml``: word timings and subtitles next to the audio,
SSML input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import soundfile as sf

from tests.cli.test_say import one_line_error, run
from tests.textgen import long_text

TEXT = "Hello world, this is a test. A second sentence follows!"


def test_timings_json_and_srt_match_the_written_audio(tiny_voice_dir: Path, tmp_path: Path) -> None:
    out, timings, srt = tmp_path / "a.wav", tmp_path / "a.json", tmp_path / "a.srt"
    result = run(
        "say", TEXT, "--voice", tiny_voice_dir, "--threads", "1", "-o", out, "--seed", "1",
        "--timings", timings, "--subtitles", srt,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    audio, rate = sf.read(out)
    doc = json.loads(timings.read_text(encoding="utf-8"))
    assert doc["text"] == TEXT and doc["sample_rate"] == rate
    assert abs(doc["duration"] - len(audio) / rate) < 0.002
    words = doc["words"]
    assert [w["text"] for w in words] == [
        "Hello", "world", "this", "is", "a", "test", "A", "second", "sentence", "follows",
    ]  # fmt: skip
    assert all(TEXT[w["char_start"] : w["char_end"]] == w["text"] for w in words)
    assert all(w["phonemes"] and w["start"] < w["end"] <= doc["duration"] for w in words)
    cues = srt.read_text(encoding="utf-8").strip().split("\n\n")
    assert [c.splitlines()[2] for c in cues] == [
        "Hello world,", "this is a test.", "A second sentence follows!",
    ]  # fmt: skip
    assert cues[0].splitlines()[:2] == ["1", _srt(words[0]["start"], words[1]["end"])]


def _srt(start: float, end: float) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"00:00:{ms // 1000:02d},{ms % 1000:03d}"

    return f"{stamp(start)} --> {stamp(end)}"


def test_long_text_streamed_to_stdout_gets_timings_and_vtt_for_every_sentence(
    tiny_voice_dir: Path, tmp_path: Path
) -> None:
    text = long_text(1200, seed=5)  # more sentences than one front-end chunk (16)
    timings, vtt = tmp_path / "long.json", tmp_path / "long.vtt"
    result = run(
        "say", "-", "--voice", tiny_voice_dir, "--threads", "1", "-o", "-", "--timings", timings,
        "--subtitles", vtt, stdin=text.encode(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    words = json.loads(timings.read_text(encoding="utf-8"))["words"]
    assert len(words) == len(text.split())
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    n_sentences = len(re.findall(r"[.!?]", text))
    assert n_sentences > 16 and words[-1]["sentence"] == n_sentences - 1
    cues = vtt.read_text(encoding="utf-8").split("\n\n")
    assert cues[0] == "WEBVTT" and len(cues) - 1 >= n_sentences
    stamps = sum(len(re.findall(r"<\d\d:\d\d:\d\d\.\d{3}>", c)) for c in cues)
    assert stamps == len(words) - (len(cues) - 1)  # every word but each cue's first


def test_bad_subtitle_suffix_is_a_usage_error(tiny_voice_dir: Path, tmp_path: Path) -> None:
    result = run(
        "say", "Hi.", "--voice", tiny_voice_dir, "--threads", "1", "--subtitles", tmp_path / "a.txt"
    )
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "neither .srt nor .vtt" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_ssml_breaks_and_malformed_ssml(tiny_voice_dir: Path, tmp_path: Path) -> None:
    timings = tmp_path / "ssml.json"
    ssml = '<speak>Hello there<break time="1s"/>and <sub alias="goodbye">bye</sub>.</speak>'
    result = run(
        "say", "--ssml", ssml, "--voice", tiny_voice_dir, "--threads", "1", "--timings", timings
    )
    assert result.returncode == 0, result.stderr.decode()
    doc = json.loads(timings.read_text(encoding="utf-8"))
    assert doc["text"] == "Hello there and goodbye."
    words = doc["words"]
    assert [w["text"] for w in words] == ["Hello", "there", "and", "goodbye"]
    assert abs(words[2]["start"] - words[1]["end"] - 1.0) < 0.002
    bad = run("say", "--ssml", "<speak>Hi\n<break time='x'/></speak>", "--voice", tiny_voice_dir)
    err = one_line_error(bad)
    assert "SSML line 2, column 1" in err and "milliseconds or seconds" in err
