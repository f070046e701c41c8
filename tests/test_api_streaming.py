"""``Voice.stream`` streams: audio is delivered while later sentences are still to be synthesized.

The checks record the order of events (front-end calls, acoustic-model calls, vocoder calls,
pieces delivered) by wrapping the real methods of a loaded tiny voice; nothing is replaced, and no
check depends on wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glowtts_cli.api import ENCODE_CHUNK, SynthesisOptions, Voice
from glowtts_cli.errors import TextError
from tests.textgen import long_text


@pytest.fixture(scope="module")
def voice(tiny_voice_dir: Path) -> Voice:
    return Voice.load(tiny_voice_dir, device="cpu", threads=1)


def log_calls(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, events: list[tuple[str, Any]]
) -> None:
    """Record ``(name, first argument)`` for each call of ``owner.name``, then call it."""
    original: Callable[..., Any] = getattr(owner, name)

    def logged(*args: Any, **kwargs: Any) -> Any:
        events.append((name, args[0] if args else None))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, logged)


def test_first_piece_is_delivered_before_the_last_sentence_is_synthesized(
    voice: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, Any]] = []
    log_calls(monkeypatch, voice.model, "infer", events)
    log_calls(monkeypatch, voice.vocoder, "vocode", events)
    text = "One sentence here. A second one! And a third? The fourth and last."
    for i, _ in enumerate(voice.stream(text, SynthesisOptions(seed=1))):
        events.append(("delivered", i))
    names = [name for name, _ in events]
    assert names.count("infer") == names.count("vocode") == names.count("delivered") == 4
    first_delivery = names.index("delivered")
    last_infer = len(names) - 1 - names[::-1].index("infer")
    assert first_delivery < last_infer, names
    # Strictly one sentence ahead: each piece is delivered before the next one is computed.
    assert names == ["infer", "vocode", "delivered"] * 4


def test_1mb_text_encodes_only_the_first_chunk_before_the_first_piece(
    voice: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = long_text(1_000_000)
    n_sentences = len(voice.frontend.split_sentences(text))
    assert n_sentences > 10_000
    events: list[tuple[str, Any]] = []
    log_calls(monkeypatch, voice.frontend, "encode_batch", events)
    log_calls(monkeypatch, voice.model, "infer", events)
    pieces = voice.stream(text, SynthesisOptions(seed=2))
    next(pieces)
    pieces.close()
    encoded = [len(arg) for name, arg in events if name == "encode_batch"]
    # One espeak call for the first ENCODE_CHUNK sentences, not 10,000 sentences up front.
    assert encoded == [ENCODE_CHUNK], encoded
    assert [name for name, _ in events] == ["encode_batch", "infer"]


def test_chunked_encoding_equals_whole_text_encoding_and_skips_silent_sentences(
    voice: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentences = [f"Sentence number {i} is here." for i in range(ENCODE_CHUNK + 5)]
    sentences[3] = "..."  # silent: its chunk falls back to one sentence at a time
    sentences[ENCODE_CHUNK + 2] = "?!"
    text = " ".join(sentences)
    expected = [ids for _, ids in voice.frontend.encode_sentences(text)]
    assert len(expected) == len(sentences) - 2
    events: list[tuple[str, Any]] = []
    log_calls(monkeypatch, voice, "_infer", events)
    pieces = list(voice.stream(text, SynthesisOptions(seed=3, sentence_silence=0.0)))
    assert len(pieces) == len(expected)
    assert [list(batch[0]) for name, batch in events] == expected


@pytest.mark.parametrize("text", ["...", "?! ... --- !!!"])
def test_nothing_pronounceable_is_a_text_error(voice: Voice, text: str) -> None:
    with pytest.raises(TextError, match="Nothing pronounceable"):
        next(voice.stream(text))
