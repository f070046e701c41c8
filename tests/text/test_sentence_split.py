"""Sentence splitting: real boundaries split; abbreviations, initials and decimals do not."""

from __future__ import annotations

import time

import pytest

from glowtts_cli.text.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("Pi is 3.14. That is all.", ["Pi is 3.14.", "That is all."]),
        ("It costs $3.50. Cheap!", ["It costs $3.50.", "Cheap!"]),
        ("Wait... what?! Really?", ["Wait... what?!", "Really?"]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("(Parenthetical.) Next one.", ["(Parenthetical.)", "Next one."]),
        ("I live in the U.S. It is big.", ["I live in the U.S. It is big."]),
        (
            "J. R. R. Tolkien wrote books. Good ones.",
            ["J. R. R. Tolkien wrote books.", "Good ones."],
        ),
        ("See Fig. 3 for details. Next.", ["See Fig. 3 for details.", "Next."]),
        ("Meet me at St. Paul's. Bye.", ["Meet me at St. Paul's.", "Bye."]),
        ("It was 5 p.m. Then dark.", ["It was 5 p.m.", "Then dark."]),
        ("e.g. this one. And that.", ["e.g. this one.", "And that."]),
        ("Apples etc. Pears too.", ["Apples etc.", "Pears too."]),
        ("What? no way.", ["What? no way."]),
        ("Hello.\n\nNew paragraph", ["Hello.", "New paragraph"]),
        ("a line\nwrapped here.", ["a line wrapped here."]),
        ("你好。我很好！", ["你好。", "我很好！"]),
        ("no punctuation at all", ["no punctuation at all"]),
        ("", []),
        (" \n\t ", []),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_long_sentences_are_cut_at_clause_marks_then_spaces() -> None:
    clauses = split_sentences("one two three, " * 60)
    assert all(len(s) <= 400 for s in clauses)
    assert all(s.endswith(",") for s in clauses[:-1])
    words = split_sentences("word " * 300)
    assert all(len(s) <= 400 and not s.startswith(" ") for s in words)
    assert " ".join(words) == ("word " * 300).strip()
    assert [len(s) for s in split_sentences("x" * 1000, max_chars=300)] == [300, 300, 300, 100]


def test_hundred_kilobytes_split_in_bounded_time() -> None:
    text = ("Dr. Smith paid $3.50 at 3:30 p.m. on Jan. 5th, e.g. for U.S. stamps. " * 1400)[
        :100_000
    ]
    start = time.perf_counter()
    sentences = split_sentences(text)
    assert time.perf_counter() - start < 2.0
    assert len(sentences) > 1000
    assert "".join(sentences).replace(" ", "") == text.replace(" ", "")
