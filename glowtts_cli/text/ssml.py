"""SSML input: ``<speak>`` documents to runs of speech and pauses.

Supported: ``break`` (time or strength), ``p`` and ``s`` (sentence ends), ``prosody rate``
(a speed: keyword or percentage, applied as length scale), ``say-as`` (characters, spell-out,
cardinal, ordinal, date with ``format``, telephone), ``sub alias`` and ``phoneme alphabet="ipa"
ph``. Any other element is skipped with a warning; its text is spoken, the tag never is.

Parsed with the standard library's expat parser with document type declarations refused, so no
entity can be declared or expanded (only the five predefined ones such as ``&amp;`` work): no
billion-laughs expansion and no external entities. Errors name the line and column.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Union
from xml.parsers import expat

from glowtts_cli.errors import TextError
from glowtts_cli.text.english import year_or_number
from glowtts_cli.text.english_words import MONTHS, cardinal, digits, ordinal

logger = logging.getLogger(__name__)

BREAK_STRENGTHS = {
    "none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75, "x-strong": 1.25,
}  # fmt: skip
"""Seconds of pause for ``<break strength=...>`` (``<break/>`` alone is medium)."""
RATES = {
    "x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.33, "x-fast": 1.75,
}  # fmt: skip
"""Speaking speed for ``<prosody rate=...>`` keywords (1 = the voice's own)."""
MAX_BREAK = 10.0
"""Longest pause one ``<break>`` may ask for (seconds), as ``--sentence-silence``."""

_HINT = "Check the SSML markup (see `glowtts say --help` and docs/cli.md)."
_SUPPORTED = {"speak", "p", "s", "break", "prosody", "say-as", "sub", "phoneme"}
_TIME_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(ms|s)\s*$")
_RATE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")


@dataclass(frozen=True)
class Pause:
    """A pause between runs of speech: a ``<break>`` or the end of a ``<s>`` or ``<p>``."""

    seconds: float
    """Silence asked for by ``<break>`` (0 for a sentence end alone)."""
    sentence_end: bool = False
    """A ``<s>``/``<p>`` ended here: at least the sentence silence is kept."""


@dataclass(frozen=True)
class Speech:
    """Text spoken at one speed (a ``<phoneme>`` inside is one slot word, see ``slot_word``)."""

    text: str
    rate: float = 1.0
    """Speed (1 = the voice's own; 2 = twice as fast, length scale halved)."""


Segment = Union[Pause, Speech]  # noqa: UP007 - a runtime alias, also used in isinstance


def looks_like_ssml(text: str) -> bool:
    """Whether text is an SSML document (starts with ``<speak``, after an XML declaration)."""
    head = text.lstrip()
    if head.startswith("<?xml"):
        head = head[head.find("?>") + 2 :].lstrip()
    return head.startswith("<speak") and head[6:7] in (">", " ", "\n", "\t", "\r", "/")


@dataclass
class _Context:
    tag: str
    rate: float
    capture: list[str] | None = None
    """Text collected for say-as / sub / phoneme (spoken differently at the end tag)."""
    attrs: dict[str, str] = field(default_factory=dict)


class _Parser:
    def __init__(self, language: str) -> None:
        self.english = language.lower().startswith("en")
        self.segments: list[Segment] = []
        self.text: list[str] = []
        self.rate = 1.0
        self.stack: list[_Context] = []
        self.warned: set[str] = set()
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.entity

    def error(self, message: str) -> TextError:
        line, column = self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1
        return TextError(f"SSML line {line}, column {column}: {message}", hint=_HINT)

    def doctype(self, *_: object) -> None:
        raise self.error("document type declarations (and so entities) are not allowed.")

    def entity(self, *_: object) -> None:  # pragma: no cover - refused at the doctype already
        raise self.error("entity declarations are not allowed.")

    # -- output ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """End the current run of speech (a sentence end, a pause or a change of speed)."""
        text = re.sub(r"\s+([,.;:!?…])", r"\1", " ".join("".join(self.text).split()))
        last = self.segments[-1] if self.segments else None
        if text and not any(c.isalnum() for c in text):
            if isinstance(last, Speech):  # "." after a </prosody>: the sentence's end mark
                self.segments[-1] = Speech(last.text + text, last.rate)
        elif text:
            self.segments.append(Speech(text, self.rate))
        self.text = []

    def say(self, text: str) -> None:
        if self.stack and self.stack[-1].capture is not None:
            self.stack[-1].capture.append(text)
        else:
            self.text.append(text)

    def pause(self, seconds: float, *, sentence_end: bool = False) -> None:
        self.flush()
        last = self.segments[-1] if self.segments else None
        if isinstance(last, Pause):  # consecutive breaks add up
            self.segments.pop()
            seconds += last.seconds
            sentence_end = sentence_end or last.sentence_end
        self.segments.append(Pause(min(seconds, MAX_BREAK), sentence_end=sentence_end))

    def sentence_end(self) -> None:
        self.flush()
        if any(isinstance(s, Speech) for s in self.segments):
            self.pause(0.0, sentence_end=True)

    def set_rate(self, rate: float) -> None:
        if rate != self.rate:
            self.flush()
            self.rate = rate

    # -- handlers -------------------------------------------------------------------------------

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        if not self.stack and tag != "speak":
            raise self.error(f"the document must start with <speak>, not <{tag}>.")
        inside = self.stack[-1] if self.stack else None
        if inside is not None and inside.capture is not None:
            raise self.error(f"<{tag}> cannot be inside <{inside.tag}>.")
        context = _Context(tag=tag, rate=self.rate, attrs=dict(attrs))
        if tag in ("p", "s"):
            self.sentence_end()
        elif tag == "break":
            self.pause(self._break_seconds(attrs))
        elif tag == "prosody":
            self._warn_attrs(tag, attrs, {"rate"})
            if "rate" in attrs:
                self.set_rate(self.rate * self._rate(attrs["rate"]))
        elif tag in ("say-as", "sub", "phoneme"):
            context.capture = []
            self._check_capture(tag, attrs)
        elif tag != "speak":
            self._warn(f"<{tag}> is not supported: the tag is skipped, its text spoken.")
        self.stack.append(context)

    def end(self, name: str) -> None:
        context = self.stack.pop()
        tag = context.tag
        if tag in ("p", "s"):
            self.sentence_end()
        elif tag == "prosody":
            self.set_rate(context.rate)
        elif context.capture is not None:
            self._spoken(context, "".join(context.capture))
        if not self.stack:
            self.flush()

    def data(self, text: str) -> None:
        if not self.stack:
            return
        self.say(text)

    # -- elements -------------------------------------------------------------------------------

    def _break_seconds(self, attrs: dict[str, str]) -> float:
        if "time" in attrs:
            m = _TIME_RE.match(attrs["time"])
            if not m:
                raise self.error(
                    f"<break time={attrs['time']!r}>: give milliseconds or seconds, e.g. "
                    '"500ms" or "1.5s".'
                )
            value = float(m.group(1))
            return value / 1000 if m.group(2) == "ms" else value
        strength = attrs.get("strength", "medium")
        if strength not in BREAK_STRENGTHS:
            raise self.error(
                f"<break strength={strength!r}>: use one of {', '.join(BREAK_STRENGTHS)}."
            )
        return BREAK_STRENGTHS[strength]

    def _rate(self, value: str) -> float:
        if value in RATES:
            return RATES[value]
        m = _RATE_RE.match(value)
        if m and float(m.group(1)) > 0:
            return float(m.group(1)) / 100
        raise self.error(
            f'<prosody rate={value!r}>: use a percentage such as "150%" or one of '
            f"{', '.join(RATES)}."
        )

    def _check_capture(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "sub" and "alias" not in attrs:
            raise self.error('<sub> needs an alias attribute: <sub alias="World Wide Web">.')
        if tag == "phoneme":
            if "ph" not in attrs:
                raise self.error('<phoneme> needs a ph attribute: <phoneme ph="təˈmɑːtoʊ">.')
            if attrs.get("alphabet", "ipa") != "ipa":
                self._warn(f"<phoneme alphabet={attrs['alphabet']!r}> is not supported: its text "
                           "is spoken instead (use alphabet=\"ipa\").")  # fmt: skip
        if tag == "say-as" and "interpret-as" not in attrs:
            raise self.error('<say-as> needs interpret-as, e.g. interpret-as="characters".')

    def _spoken(self, context: _Context, text: str) -> None:
        attrs = context.attrs
        if context.tag == "sub":
            self.say(f" {attrs['alias']} ")
        elif context.tag == "phoneme" and attrs.get("alphabet", "ipa") == "ipa":
            written = " ".join(text.split()) or attrs["ph"]
            self.say(f" {slot_word(written, attrs['ph'])} ")
        elif context.tag == "phoneme":
            self.say(text)
        else:
            self.say(f" {self._say_as(attrs, text)} ")

    def _say_as(self, attrs: dict[str, str], text: str) -> str:
        kind = attrs["interpret-as"]
        text = " ".join(text.split())
        if kind in ("characters", "spell-out", "verbatim"):
            return spell(text) if self.english else " ".join(text)
        if not self.english:  # espeak-ng reads digits in the voice's own language
            return text
        try:
            if kind in ("cardinal", "number"):
                return cardinal(text.replace(",", ""))
            if kind == "ordinal":
                return ordinal(re.sub(r"(?i)(st|nd|rd|th)$", "", text).replace(",", ""))
            if kind == "date":
                return _date(text, attrs.get("format", "mdy"))
            if kind == "telephone":
                groups = re.findall(r"[0-9]+", text)
                plus = "plus " if text.startswith("+") else ""
                return plus + ", ".join(digits(g) for g in groups)
        except (ValueError, IndexError, KeyError) as e:
            raise self.error(f"<say-as interpret-as={kind!r}> cannot read {text!r}.") from e
        self._warn(f"<say-as interpret-as={kind!r}> is not supported: the text is read as is.")
        return text

    def _warn_attrs(self, tag: str, attrs: dict[str, str], known: set[str]) -> None:
        for name in sorted(set(attrs) - known):
            self._warn(f"<{tag} {name}=...> is not supported and is ignored.")

    def _warn(self, message: str) -> None:
        if message not in self.warned:
            self.warned.add(message)
            logger.warning("SSML: %s", message)

    def parse(self, ssml: str) -> list[Segment]:
        try:
            self.parser.Parse(ssml, True)
        except expat.ExpatError as e:
            reason = expat.errors.messages[e.code] if e.code else str(e)
            raise TextError(
                f"SSML line {e.lineno}, column {e.offset + 1}: {reason}.", hint=_HINT
            ) from None
        segments = self.segments
        while segments and isinstance(segments[0], Pause) and segments[0].seconds <= 0:
            segments = segments[1:]
        return segments


_SLOT = "phonemeslot"
_NIBBLES = "abcdefghijklmnop"
_SLOT_RE = re.compile(rf"^([\"'(\[]*)({_SLOT}[a-p]*q[a-p]+)([^\w\s]*)$")


def _letters(text: str) -> str:
    return "".join(_NIBBLES[b >> 4] + _NIBBLES[b & 15] for b in text.encode("utf-8"))


def _unletters(code: str) -> str:
    pairs = zip(code[::2], code[1::2], strict=False)
    return bytes(_NIBBLES.index(a) * 16 + _NIBBLES.index(b) for a, b in pairs).decode("utf-8")


def slot_word(written: str, ipa: str) -> str:
    """One lower-case ASCII word standing for a ``<phoneme>``: it passes every normaliser and
    the sentence splitter unchanged, and the front end puts ``ipa`` in its place."""
    return f"{_SLOT}{_letters(written)}q{_letters(ipa)}"


def parse_slot(word: str) -> tuple[str, str, str, str] | None:
    """``(before, written, ipa, after)`` of a slot word with punctuation around it, else None."""
    m = _SLOT_RE.match(word)
    if not m:
        return None
    written, _, ipa = m.group(2)[len(_SLOT) :].partition("q")
    try:
        return m.group(1), _unletters(written), _unletters(ipa), m.group(3)
    except (ValueError, UnicodeDecodeError):
        return None


def has_slots(text: str) -> bool:
    """Whether ``text`` holds ``<phoneme>`` slot words."""
    return _SLOT in text


def written_text(text: str) -> str:
    """``text`` with each slot word replaced by its written form (for voices without IPA)."""
    out = []
    for word in text.split(" "):
        slot = parse_slot(word)
        out.append(f"{slot[0]}{slot[1]}{slot[3]}" if slot else word)
    return " ".join(out)


def phonemize_with_slots(
    sentences: Sequence[str], phonemize: Callable[[list[str]], list[str]]
) -> list[str]:
    """``phonemize`` of normalised sentences in one batch, slot words replaced by their IPA."""
    plans: list[list[str | int]] = []
    texts: list[str] = []
    for sentence in sentences:
        if not has_slots(sentence):
            plans.append([len(texts)])
            texts.append(sentence)
            continue
        plan: list[str | int] = []
        run: list[str] = []
        for word in sentence.split(" "):
            slot = parse_slot(word)
            if slot is None:
                run.append(word)
                continue
            if run or slot[0]:
                plan.append(len(texts))
                texts.append(" ".join(run) + slot[0])
                run = []
            plan.append(slot[2] + slot[3])
        if run:
            plan.append(len(texts))
            texts.append(" ".join(run))
        plans.append(plan)
    phonemes = phonemize(texts)
    return [
        " ".join(p for p in (phonemes[x] if isinstance(x, int) else x for x in plan) if p)
        for plan in plans
    ]


def spell(text: str) -> str:
    """Letter by letter ("ABC" -> "A-B-C", a lone "a" -> "eh", digits by name)."""
    out: list[str] = []
    for run in re.findall(r"[A-Za-z]+|[0-9]|\S", text):
        if run.isdigit():
            out.append(digits(run))
        elif run.isalpha():
            letters = [c.upper() for c in run]
            out.append("eh" if letters == ["A"] else "-".join(letters))
        else:
            out.append(run)
    return " ".join(out)


_DATE_FIELDS = {"d", "m", "y"}


def _date(text: str, fmt: str) -> str:
    """``say-as interpret-as="date"`` with a format such as mdy, dmy, ymd, md, my, y."""
    parts = [p for p in re.split(r"[-/.\s]+", text.strip()) if p]
    if len(parts) != len(fmt) or set(fmt) - _DATE_FIELDS:
        raise ValueError(text)
    value = dict(zip(fmt, parts, strict=True))
    month = MONTHS[int(value["m"]) - 1] if "m" in value else None
    day = ordinal(int(value["d"])) if "d" in value else None
    year = year_or_number(value["y"]) if "y" in value else None
    if month and day:
        return f"{month} {day}, {year}" if year else f"{month} {day}"
    return " ".join(p for p in (day, month, year) if p)


def spoken_text(segments: Sequence[Segment]) -> str:
    """The plain text an SSML document speaks (runs joined by spaces, slots written out): what
    word timings' character offsets refer to."""
    return " ".join(written_text(s.text) for s in segments if isinstance(s, Speech))


def parse_ssml(ssml: str, language: str = "en-us") -> list[Segment]:
    """Speech and pauses, in order, from an SSML document.

    Raises:
        TextError: malformed XML, a document type declaration, a bad attribute value; the
            message gives the line and column.
    """
    return _Parser(language).parse(ssml)
