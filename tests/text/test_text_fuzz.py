"""Fuzzing: any unicode text gives valid ids or a TextError, never anything else, never a hang."""

from __future__ import annotations

import contextlib
import random
import re
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glowtts_cli.config import TextConfig
from glowtts_cli.errors import TextError
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.official import split_arpabet_groups

TRICKY = [
    "$", "£", "€", "¥", ".", ",", ":", "/", "-", "–", "—", "{", "}", "@", "#", "%", "&", "+",
    "1", "12", "2024", "3.5", "1,000", "-7", "Mr.", "St.", "e.g.", "U.S.", "p.m.", "3:30",
    "http://", "www.", ".com", "'", '"', "\n", " ", "½", "²", "°C", "km", "1st", "0", "007",
    "🙂", "東", "\x00", "\ud800", "…", "...", "(", ")", "HH AH0", "NYC", "x" * 30, "9" * 40,
]  # fmt: skip

ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=60),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=4)), max_size=25).map("".join),
)
FUZZ = settings(
    max_examples=120,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def frontends() -> dict[str, TextFrontend]:
    kinds = {
        "espeak": TextFrontend(TextConfig(language="en-us", phonemizer="espeak", add_blank=True)),
        "official": TextFrontend(TextConfig(language="en", phonemizer="official")),
        "characters": TextFrontend(TextConfig(language="en-us", phonemizer="characters")),
    }
    for frontend in kinds.values():  # load espeak, inflect and CMUdict before any deadline
        frontend.encode("Warm up 1.")
    return kinds


def _check_ids(frontend: TextFrontend, ids: list[int]) -> None:
    assert ids, "an empty id list must be a TextError instead"
    assert all(type(i) is int and 0 <= i < frontend.symbols.n_vocab for i in ids)
    assert frontend.symbols.is_pronounceable(ids)


def _check(frontend: TextFrontend, text: str) -> None:
    with contextlib.suppress(TextError):
        _check_ids(frontend, frontend.encode(text))
    try:
        sentences = frontend.encode_sentences(text)
    except TextError:
        return
    for sentence, ids in sentences:
        assert isinstance(sentence, str) and sentence
        _check_ids(frontend, ids)


@pytest.mark.requires_espeak
@FUZZ
@given(text=ANY_TEXT)
def test_espeak_front_end_never_fails_otherwise(
    frontends: dict[str, TextFrontend], text: str
) -> None:
    _check(frontends["espeak"], text)


@FUZZ
@given(text=ANY_TEXT)
def test_official_front_end_never_fails_otherwise(
    frontends: dict[str, TextFrontend], text: str
) -> None:
    _check(frontends["official"], text)


@FUZZ
@given(text=ANY_TEXT)
def test_characters_front_end_never_fails_otherwise(
    frontends: dict[str, TextFrontend], text: str
) -> None:
    _check(frontends["characters"], text)


_CURLY_RE = re.compile(r"(.*?)\{(.+?)\}(.*)")


def _regex_groups(text: str) -> tuple[list[tuple[str, str]], str]:
    """The original brace loop, quadratic on adversarial text but obviously faithful."""
    groups = []
    while text:
        match = _CURLY_RE.match(text)
        if not match:
            break
        groups.append((match.group(1), match.group(2)))
        text = match.group(3)
    return groups, text


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="ab {}\n", max_size=14))
def test_linear_brace_parser_equals_the_original_regex(text: str) -> None:
    assert split_arpabet_groups(text) == _regex_groups(text)


def _hundred_kilobytes(seed: int) -> str:
    rng = random.Random(seed)
    words = [*TRICKY[:-3], "the", "quick", "brown", "fox", "jumps", "Hello", "world", "is"]
    parts, size = [], 0
    while size < 100_000:
        parts += [rng.choice(words), rng.choice([" ", " ", " ", ". ", ", ", "! "])]
        size += len(parts[-2]) + len(parts[-1])
    return "".join(parts)[:100_000]


@pytest.mark.requires_espeak
@pytest.mark.parametrize("kind", ["espeak", "official", "characters"])
def test_hundred_kilobytes_in_bounded_time(frontends: dict[str, TextFrontend], kind: str) -> None:
    text = _hundred_kilobytes(seed=7)
    adversarial = "{" * 50_000 + "1," * 25_000
    frontend = frontends[kind]
    start = time.perf_counter()
    sentences = frontend.encode_sentences(text)
    _check(frontend, adversarial)
    elapsed = time.perf_counter() - start
    assert len(sentences) > 100
    assert elapsed < 30.0, f"{kind}: {elapsed:.1f} s for 150 kB"
