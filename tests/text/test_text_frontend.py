"""TextFrontend: one code path from text to ids for data preparation and synthesis."""

from __future__ import annotations

import logging

import pytest

from glowtts_cli.config import TextConfig
from glowtts_cli.errors import PhonemizerUnavailableError, TextError
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.symbols import DEFAULT_IPA_SYMBOLS, PAD

TEXTS = [
    "Hello world, this is a test.",
    "Dr. Smith paid $3.50 at 3:30 p.m. on Jan. 5th. Then he left!",
    "It's 20°C in the U.S. today; 50% of people agree.",
]


def _espeak(blank: bool = True, symbols: tuple[str, ...] = DEFAULT_IPA_SYMBOLS) -> TextFrontend:
    return TextFrontend(
        TextConfig(language="en-us", phonemizer="espeak", symbols=symbols, add_blank=blank)
    )


@pytest.mark.requires_espeak
def test_data_preparation_and_synthesis_produce_the_same_ids() -> None:
    frontend = _espeak()
    batch = frontend.encode_batch(TEXTS)  # the data-preparation path
    single = [frontend.encode(t) for t in TEXTS]  # the synthesis path
    assert batch == single
    # A fresh front end built from the same saved config gives the same ids.
    assert _espeak().encode_batch(TEXTS) == batch


@pytest.mark.requires_espeak
def test_streaming_sentences_concatenate_to_the_whole_text() -> None:
    frontend = _espeak(blank=False)
    text = TEXTS[1]
    sentences = frontend.encode_sentences(text)
    assert [s for s, _ in sentences] == frontend.split_sentences(text)
    assert len(sentences) == 2
    space = frontend.symbols.index(" ")
    joined = sentences[0][1] + [space] + sentences[1][1]
    assert frontend.encode(text) == joined


@pytest.mark.requires_espeak
def test_encode_is_phonemize_through_the_symbol_table() -> None:
    frontend = _espeak()
    ids = frontend.encode(TEXTS[0])
    assert frontend.decode(ids) == frontend.phonemize(TEXTS[0]) == "həlˈoʊ wˈɜːld, ðɪs ɪz ɐ tˈɛst."
    assert ids[0] == ids[-1] == frontend.symbols.blank_id == len(DEFAULT_IPA_SYMBOLS)
    assert max(ids) < frontend.symbols.n_vocab == frontend.config.n_vocab


@pytest.mark.requires_espeak
def test_unknown_symbols_warn_once_per_call(caplog: pytest.LogCaptureFixture) -> None:
    small = (PAD, " ", ".", *"abcdefghijklmnopqrstuvwxyz")
    frontend = _espeak(symbols=small)
    with caplog.at_level(logging.WARNING, logger="glowtts_cli.text"):
        ids = frontend.encode("This is that. That is this.")
    assert ids
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'ð'" in warnings[0].getMessage() and "'ˈ'" in warnings[0].getMessage()


@pytest.mark.requires_espeak
@pytest.mark.parametrize("text", ["", "   ", "...", "?!", "🙂", "\x00\x01", "— … —"])
def test_text_with_nothing_pronounceable_is_a_text_error(text: str) -> None:
    frontend = _espeak()
    with pytest.raises(TextError):
        frontend.encode(text)
    with pytest.raises(TextError):
        frontend.encode_sentences(text)


def test_non_text_input_is_a_text_error() -> None:
    frontend = _espeak()
    with pytest.raises(TextError, match="bytes"):
        frontend.encode(b"hello")  # type: ignore[arg-type]


@pytest.mark.requires_espeak
def test_silent_sentences_are_skipped_when_streaming() -> None:
    sentences = _espeak().encode_sentences("Hello. ... World!")
    assert [s for s, _ in sentences] == ["Hello.", "World!"]


@pytest.mark.requires_espeak
def test_batch_error_names_the_bad_text() -> None:
    with pytest.raises(TextError, match="#1"):
        _espeak().encode_batch(["Hello.", "..."])


def test_system_espeak_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOWTTS_ESPEAK", "system")
    frontend = _espeak()
    try:
        frontend.encode("hello")
    except PhonemizerUnavailableError as e:
        assert e.hint is not None  # no system espeak-ng here: a clear error, not a crash


def test_characters_front_end() -> None:
    frontend = TextFrontend(TextConfig(language="en-us", phonemizer="characters"))
    assert frontend.phonemize("Dr. Smith paid $5.") == "doctor smith paid five dollars."
    assert frontend.decode(frontend.encode("Hi 2 you!")) == "hi two you!"


def test_official_front_end_streams_sentences() -> None:
    frontend = TextFrontend(
        TextConfig(language="en", phonemizer="official"), cmudict={"HELLO": "HH AH0 L OW1"}
    )
    sentences = frontend.encode_sentences("Hello there. Hello!")
    assert [frontend.decode(ids) for _, ids in sentences] == [
        "{HH AH0 L OW1} there.",
        "hello!",
    ]
