"""SSML parsing: every element, the errors (with line and column), no entity expansion, and
every SSML example of docs/cli.md."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from glowtts_cli.config import TextConfig
from glowtts_cli.errors import TextError
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.ssml import (
    Pause,
    Speech,
    looks_like_ssml,
    parse_ssml,
    spoken_text,
    written_text,
)

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def doc_examples() -> list[str]:
    """The ```xml blocks of docs/cli.md, and the --ssml argument of its shell example."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```xml\n(.*?)```", text, flags=re.S)
    blocks += re.findall(r"--ssml '([^']+)'", text)
    return blocks


def test_docs_have_ssml_examples() -> None:
    assert len(doc_examples()) >= 5


@pytest.mark.parametrize("example", doc_examples())
def test_every_docs_example_parses_to_speech(
    example: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        segments = parse_ssml(example)
    assert any(isinstance(s, Speech) for s in segments)
    assert not caplog.records, "docs examples use supported SSML only"
    assert "<" not in spoken_text(segments)


def test_breaks_time_and_strength() -> None:
    segments = parse_ssml(
        '<speak>A<break time="1500ms"/>B<break time="2s"/>C<break strength="weak"/>D'
        "<break/>E<break time=\"0.25s\"/><break time='250ms'/>F</speak>"
    )
    assert segments == [
        Speech("A"), Pause(1.5), Speech("B"), Pause(2.0), Speech("C"), Pause(0.25), Speech("D"),
        Pause(0.5), Speech("E"), Pause(0.5), Speech("F"),
    ]  # fmt: skip


def test_sentences_paragraphs_and_prosody_rate() -> None:
    segments = parse_ssml(
        "<speak><p><s>One</s><s>Two</s></p>Normal "
        '<prosody rate="200%">fast <prosody rate="slow">slower</prosody></prosody> end.</speak>'
    )
    assert segments == [
        Speech("One"), Pause(0.0, sentence_end=True), Speech("Two"),
        Pause(0.0, sentence_end=True), Speech("Normal"), Speech("fast", rate=2.0),
        Speech("slower", rate=1.5), Speech("end."),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("markup", "spoken"),
    [
        ('<say-as interpret-as="characters">abc</say-as>', "A-B-C"),
        ('<say-as interpret-as="spell-out">a</say-as>', "eh"),
        ('<say-as interpret-as="characters">R2D2</say-as>', "R two D two"),
        ('<say-as interpret-as="cardinal">1,234</say-as>', "one thousand two hundred thirty-four"),
        ('<say-as interpret-as="ordinal">21st</say-as>', "twenty-first"),
        ('<say-as interpret-as="date" format="mdy">3/15/2024</say-as>',
         "March fifteenth, twenty twenty-four"),
        ('<say-as interpret-as="date" format="dmy">5.3.2024</say-as>',
         "March fifth, twenty twenty-four"),
        ('<say-as interpret-as="date" format="ym">1999-12</say-as>',
         "December nineteen ninety-nine"),
        ('<say-as interpret-as="telephone">+1 555-1234</say-as>',
         "plus one, five five five, one two three four"),
        ('<sub alias="World Wide Web">WWW</sub>', "World Wide Web"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
    ],
)  # fmt: skip
def test_say_as_sub_and_entities(markup: str, spoken: str) -> None:
    assert parse_ssml(f"<speak>{markup}</speak>") == [Speech(spoken)]


@pytest.mark.requires_espeak
def test_phoneme_says_the_ipa_and_times_the_written_word() -> None:
    (speech,) = parse_ssml(
        '<speak>I say <phoneme alphabet="ipa" ph="təˈmɑːtoʊ">tomato</phoneme>.</speak>'
    )
    assert isinstance(speech, Speech) and written_text(speech.text) == "I say tomato."
    frontend = TextFrontend(TextConfig(phonemizer="espeak", add_blank=True))
    assert frontend.phonemize(speech.text) == "aɪ sˈeɪ təˈmɑːtoʊ."
    (aligned,) = frontend.encode_aligned([speech.text])
    assert aligned is not None and aligned.ids == frontend.encode(speech.text)
    assert [w.text for w in aligned.words] == ["I", "say", "tomato"]
    letters = TextFrontend(TextConfig(phonemizer="characters"))
    assert letters.phonemize(speech.text) == "i say tomato."


def test_unknown_elements_are_skipped_with_a_warning_never_spoken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        segments = parse_ssml(
            '<speak>Hi <emphasis level="strong">there</emphasis><mark name="m1"/> '
            '<prosody pitch="+10%">friend</prosody>.</speak>'
        )
    assert segments == [Speech("Hi there friend.")]
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "<emphasis> is not supported" in messages and "<mark>" in messages
    assert "<prosody pitch=...> is not supported" in messages


@pytest.mark.parametrize(
    ("ssml", "where", "what"),
    [
        ("<speak>Hello\n  <b>world</speak>", "line 2, column", "mismatched tag"),
        ("<speak>Hi", "line 1, column", "no element found"),
        ("Hello <break/>", "line 1, column 1", "syntax error"),
        ("<p>Hi</p>", "line 1, column 1", "must start with <speak>"),
        ('<speak>\nA <break time="soon"/></speak>', "line 2, column 3", "milliseconds or seconds"),
        ('<speak><break strength="loud"/></speak>', "line 1, column 8", "x-strong"),
        ('<speak><prosody rate="warp">x</prosody></speak>', "line 1, column 8", "percentage"),
        ("<speak><sub>x</sub></speak>", "line 1, column 8", "alias"),
        ('<speak><say-as interpret-as="date" format="mdy">soon</say-as></speak>', "line 1",
         "cannot read 'soon'"),
        ("<speak>&nbsp;</speak>", "line 1, column 8", "undefined entity"),
    ],
)  # fmt: skip
def test_malformed_ssml_is_one_line_with_line_and_column(ssml: str, where: str, what: str) -> None:
    with pytest.raises(TextError) as info:
        parse_ssml(ssml)
    message = info.value.message
    assert message.startswith("SSML " + where) and what in message and "\n" not in message


def test_entities_cannot_be_declared_so_nothing_expands() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<speak>&lol2;</speak>"
    )
    with pytest.raises(TextError, match="document type declarations"):
        parse_ssml(laughs)
    external = '<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>'
    with pytest.raises(TextError, match="document type declarations"):
        parse_ssml(external)


@pytest.mark.parametrize(
    ("text", "is_ssml"),
    [
        ("<speak>Hi</speak>", True),
        ('  <?xml version="1.0"?>\n<speak version="1.1">Hi</speak>', True),
        ("<speaker> is a word", False),
        ("Say <speak>", False),
        ("plain text", False),
    ],
)
def test_looks_like_ssml(text: str, is_ssml: bool) -> None:
    assert looks_like_ssml(text) is is_ssml
