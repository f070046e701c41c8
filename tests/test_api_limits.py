"""``Voice.stream(max_seconds=)``: the sentence that would pass the limit is never vocoded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glowtts_cli.api import SynthesisOptions, Voice
from glowtts_cli.errors import AudioLimitError, TextError

TEXT = "Hello there. How are you today? Sentence number three is here."


def test_stream_stops_before_vocoding_past_the_limit(
    tiny_voice_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = Voice.load(tiny_voice_dir, device="cpu", threads=1)
    options = SynthesisOptions(seed=0)
    durations = [a.duration for a in voice.stream(TEXT, options)]
    assert len(durations) == 3
    vocoded: list[Any] = []
    original = voice._vocode
    monkeypatch.setattr(voice, "_vocode", lambda mel: vocoded.append(mel) or original(mel))
    limit = durations[0] + durations[1] + 0.5 * durations[2]
    pieces = voice.stream(TEXT, options, max_seconds=limit)
    got = [next(pieces).duration, next(pieces).duration]
    assert got == durations[:2]
    with pytest.raises(AudioLimitError, match=f"more than {limit:g} s of audio") as info:
        next(pieces)
    assert isinstance(info.value, TextError) and "length_scale" in (info.value.hint or "")
    assert "sentence 3" in info.value.message
    assert len(vocoded) == 2  # the third sentence was not vocoded
    assert len(list(voice.stream(TEXT, options, max_seconds=sum(durations) + 0.01))) == 3
