"""English normaliser: turns written English into words espeak-ng reads well.

Passes run in a fixed order, most specific first: URLs and e-mail addresses, currency, percentages,
times, dates, phone-like digit strings, fractions, units, ordinals, decades, years, ranges,
negative and plain numbers, abbreviations, initialisms and acronyms, symbols, then non-Latin
letters are transliterated (unidecode). Number words come from num2words (American style: no
"and" inside numbers); Latin letters keep their accents because espeak-ng reads them better.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from glowtts_cli.text.english_words import (
    ABBREVIATIONS,
    CURRENCIES,
    FRACTIONS,
    LATIN_ABBREVIATIONS,
    MONTHS,
    REGNAL_NAMES,
    ROMAN_CARDINAL_AFTER,
    SCALES,
    TITLES,
    UNITS,
    cardinal,
    digits,
    number_words,
    ordinal,
    plural,
    roman_value,
    year,
)
from glowtts_cli.text.normalize import clean_unicode, collapse_whitespace

_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"


def _sub(pattern: str, repl: object, flags: int = 0) -> tuple[re.Pattern[str], object]:
    return re.compile(pattern, flags), repl


# --------------------------------------------------------------------------------------------
# URLs and e-mail addresses
# --------------------------------------------------------------------------------------------

_URL_SYMBOLS = {
    ".": " dot ", "/": " slash ", "-": " dash ", "_": " underscore ", ":": " colon ",
    "?": " question mark ", "=": " equals ", "&": " and ", "#": " hash ", "@": " at ",
    "~": " tilde ", "+": " plus ", "%": " percent ",
}  # fmt: skip
_TLDS = "com|org|net|edu|gov|io|ai|co|uk|de|fr|info|biz|dev|app|us|ca|au|eu"
_PATH = r"[^\s\"'<>()]*[^\s\"'<>().,;:!?]"  # an address ends before closing punctuation


def _spell_address(address: str) -> str:
    out = []
    for part in re.split(r"([./\-_:?=&#@~+%])", address):
        if part in _URL_SYMBOLS:
            out.append(_URL_SYMBOLS[part])
        elif part.lower() == "www":
            out.append(" W W W ")
        elif part in ("a", "A"):
            out.append(" eh ")  # the letter: espeak-ng reads a lone "a" as the article
        elif part.isascii() and part.isdigit():
            out.append(f" {digits(part)} ")
        else:
            out.append(part)
    return "".join(out)


def _url(match: re.Match[str]) -> str:
    body = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", match.group(0)).rstrip("/")
    return f" {_spell_address(body)} "


_ADDRESS_PASSES = (
    _sub(rf"\b(?:https?|ftp)://{_PATH}", _url, re.IGNORECASE),
    _sub(r"\b(https?|ftp)\b(?::/*)?", lambda m: f" {'-'.join(m.group(1).upper())} ", re.I),
    _sub(rf"\bwww\.{_PATH}", _url),
    _sub(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", _url),
    _sub(rf"\b[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*\.(?:{_TLDS})\b(?:/{_PATH})?", _url),
)

# --------------------------------------------------------------------------------------------
# Money, percentages, times, dates, phone numbers
# --------------------------------------------------------------------------------------------

_CUR = "".join(CURRENCIES)
_SCALE = r"(?:\s?(thousand|million|billion|trillion|k|K|m|M|bn|B)\b)?"


def _money(sign: str | None, symbol: str, amount: str, scale: str | None) -> str:
    one, many, sub_one, sub_many = CURRENCIES[symbol]
    minus = "minus " if sign else ""
    if scale:
        return f" {minus}{number_words(amount)} {SCALES[scale]} {many} "
    whole, _, frac = amount.replace(",", "").partition(".")
    if frac and (len(frac) != 2 or not sub_one):
        return f" {minus}{number_words(amount)} {many} "
    units, cents = (whole or "0").lstrip("0") or "0", int(frac or "0")
    parts = []
    if units != "0" or not cents:
        parts.append(f"{cardinal(units)} {one if units == '1' else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return f" {minus}{' and '.join(parts)} "


def _am_pm(marker: str | None, match: re.Match[str]) -> str:
    if not marker:
        return ""
    words = f" {marker.upper()}-M"
    return _keep_period(match, words) if match.group(0).endswith(".") else words


def _time(match: re.Match[str]) -> str:
    hour, minute, second, marker = (match.group(i) for i in (1, 2, 3, 4))
    h, m = int(hour), int(minute)
    if m == 0 and marker:
        words = cardinal(h)
    elif m == 0:
        words = f"{cardinal(h)} o'clock" if h <= 12 else f"{cardinal(h)} hundred"
    else:
        words = f"{cardinal(h)} {cardinal(m) if m >= 10 else 'oh ' + cardinal(m)}"
    if second:
        words += f" and {cardinal(int(second))} seconds"
    return f" {words}{_am_pm(marker, match)} "


def _clock_hour(match: re.Match[str]) -> str:
    return f" {cardinal(int(match.group(1)))}{_am_pm(match.group(2), match)} "


def _date(year_s: str, month_s: str, day_s: str) -> str:
    return f" {MONTHS[int(month_s) - 1]} {ordinal(int(day_s))}, {year_or_number(year_s)} "


def year_or_number(text: str) -> str:
    """A four-digit year read in pairs, a two-digit year as "oh five"/"ninety-nine"."""
    n = int(text)
    if len(text) == 2:
        return cardinal(n) if n >= 10 else f"oh {cardinal(n)}"
    return year(n)


def _iso_date(match: re.Match[str]) -> str:
    return _date(match.group(1), match.group(2), match.group(3))


_AREA = r"(?:\([0-9]{3}\)\s?|[0-9]{3}[\s.-])"  # "(555) " or "555-"


def _phone(match: re.Match[str]) -> str:
    groups = re.findall(r"[0-9]+", match.group(0))
    plus = "plus " if match.group(0).lstrip().startswith("+") else ""
    return f" {plus}{', '.join(digits(g) for g in groups)} "


_MONTH_NAMES = "|".join(m for m in MONTHS)
_MONTH_ABBR = r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
_DAY = r"(0?[1-9]|[12][0-9]|3[01])"


def _month(name: str) -> str:
    for full in MONTHS:
        if full.lower().startswith(name.lower()[:3]):
            return full
    return name  # pragma: no cover - the patterns only match month names


_MONEY_PASSES = (
    _sub(rf"(?<![\w.])(-)?([{_CUR}])\s?({_NUM}){_SCALE}", lambda m: _money(*m.groups())),
    _sub(
        rf"(?<![\w.])(-)?({_NUM}){_SCALE}\s?([{_CUR}])",
        lambda m: _money(m.group(1), m.group(4), m.group(2), m.group(3)),
    ),
    _sub(rf"(?<![\w.])(-)?({_NUM})\s?%", lambda m: f" {'minus ' if m.group(1) else ''}"
         f"{number_words(m.group(2))} percent "),
)  # fmt: skip
_TIME_DATE_PASSES = (
    _sub(
        r"\b([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?(?:\s?([AaPp])\.?\s?[Mm]\b\.?)?",
        _time,
    ),
    _sub(r"\b(1[0-2]|0?[1-9])\s?([AaPp])\.?\s?[Mm]\b\.?", _clock_hour),
    _sub(r"\b([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\b", _iso_date),
    _sub(
        r"\b(0?[1-9]|1[0-2])/(0?[1-9]|[12][0-9]|3[01])/([0-9]{4}|[0-9]{2})\b",
        lambda m: _date(m.group(3), m.group(1), m.group(2)),
    ),
    _sub(
        r"\b(1[3-9]|2[0-9]|3[01])/(0?[1-9]|1[0-2])/([0-9]{4}|[0-9]{2})\b",
        lambda m: _date(m.group(3), m.group(2), m.group(1)),
    ),
    _sub(
        rf"\b({_MONTH_NAMES}|(?:{_MONTH_ABBR})\.?)\s+{_DAY}(?:st|nd|rd|th)?\b(?![:.,]?[0-9])",
        lambda m: f" {_month(m.group(1))} {ordinal(int(m.group(2)))} ",
    ),
    _sub(  # "the 2nd of May" keeps its own "the" ("The" at a sentence start keeps its capital)
        rf"(?:\b([Tt]he)\s+)?\b{_DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?"
        rf"({_MONTH_NAMES}|(?:{_MONTH_ABBR})\b\.?)",
        lambda m: f" {m.group(1) or 'the'} {ordinal(int(m.group(2)))} of {_month(m.group(3))} ",
    ),
    _sub(rf"(?<![\w+])(?:\+[0-9]{{1,3}}[\s.-]?)?{_AREA}[0-9]{{3}}[\s.-][0-9]{{4}}\b", _phone),
    _sub(r"(?<![\w.,-])[0-9]{3}-[0-9]{4}\b", _phone),
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Fractions, units, ordinals, decades, years, ranges, numbers
# --------------------------------------------------------------------------------------------

_DENOMINATORS = {
    2: "half", 3: "third", 4: "quarter", 5: "fifth", 6: "sixth", 8: "eighth", 10: "tenth",
}  # fmt: skip


def _fraction(match: re.Match[str]) -> str:
    num, den = int(match.group(1)), int(match.group(2))
    if den in _DENOMINATORS and 0 < num < den:
        name = _DENOMINATORS[den]
        name = name if num == 1 else ("halves" if den == 2 else name + "s")
        return f" {cardinal(num)} {name} "
    return f" {cardinal(num)} over {cardinal(den)} "


def _vulgar(match: re.Match[str]) -> str:
    words, with_number = FRACTIONS[match.group(2)]
    if match.group(1):
        return f" {number_words(match.group(1))} and {with_number} "
    return f" {words} "


def _unit(match: re.Match[str]) -> str:
    amount, unit = match.group(1), match.group(2)
    one, many = UNITS[unit]
    return f" {number_words(amount)} {one if amount == '1' else many} "


def _feet_inches(match: re.Match[str]) -> str:
    """5'10" and 5 ft 10 in: "five feet ten inches"."""
    feet, inches = match.group(1), match.group(2)
    return (
        f" {number_words(feet)} {'foot' if feet == '1' else 'feet'}"
        f" {number_words(inches)} {'inch' if inches == '1' else 'inches'} "
    )


def _prime(match: re.Match[str]) -> str:
    """6' and 12" as lengths, before a lower-case word and outside an open quotation."""
    amount, mark = match.group(1), match.group(2)
    before = match.string[: match.start()]
    opened = len(re.findall(rf"(?:^|(?<=\s)){mark}(?=\S)", before))
    closed = len(re.findall(rf"(?<=[^\s{mark}]){mark}(?=[\s,.;:!?]|$)", before))
    if opened > closed:
        return match.group(0)  # 'He said "I have 5" and left': a closing quote
    one, many = ("foot", "feet") if mark == "'" else ("inch", "inches")
    return f" {number_words(amount)} {one if amount == '1' else many} "


def _ordinal(match: re.Match[str]) -> str:
    return f" {ordinal(match.group(1).replace(',', ''))} "


def _version(match: re.Match[str]) -> str:
    return " " + " point ".join(number_words(p) for p in match.group(0).split(".")) + " "


def _year(match: re.Match[str]) -> str:
    return f" {year(int(match.group(1)))} "


def _decade(match: re.Match[str]) -> str:
    century, decade = match.group(1), match.group(2)
    if century is None:
        return f" {plural(cardinal(int(decade) * 10))} "
    return f" {plural(year(int(century + decade + '0')))} "


_UNIT_NAMES = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_VULGAR = "".join(FRACTIONS)

_NUMBER_PASSES = (
    _sub(r"\b(?:c|ca|circa)\.\s?(?=[0-9])", "circa "),  # before the years become words
    _sub(rf"(?<![\w.'])({_NUM})\s?(?:'|ft\.?)\s?({_NUM})\s?(?:\"|in\b\.?)", _feet_inches),
    _sub(rf"(?<![\w.'])({_NUM})(['\"])(?=\s+[a-z])", _prime),  # 6' tall, a 12" pizza
    _sub(r"(?<![\w.])([0-9]+)x([0-9]+)\b", r" \1 by \2 "),  # 1920x1080, 4x4
    _sub(r"(?<![\w.])(?!0x[0-9a-fA-F])([0-9]+(?:\.[0-9]+)?)[x×](?!\w)", r" \1 times "),
    _sub(r"\b[Nn]o\.\s?(?=[0-9])", "number "),
    _sub(r"\b[Nn]os\.\s?(?=[0-9])", "numbers "),
    _sub(r"#\s?(?=[0-9])", " number "),
    _sub(r"~\s?(?=[0-9])", " about "),
    _sub(r"\b24/7\b", " twenty-four seven "),
    _sub(rf"(?<![0-9])([0-9]+)?\s?([{_VULGAR}])", _vulgar),
    _sub(r"(?<![\w/])([0-9]{1,3})/([0-9]{1,3})(?![\w/])", _fraction),
    _sub(r"\b([0-9]+(?:,[0-9]{3})*)(?:st|nd|rd|th|ST|ND|RD|TH)\b", _ordinal),
    _sub(r"(?:\b([12][0-9])|(?<![\w'])'?)([1-9])0[’']?s\b", _decade),
    _sub(rf"(?<![\w.])({_NUM})\s?({_UNIT_NAMES})(?![\w²³])", _unit),
    _sub(r"\b[0-9]+(?:\.[0-9]+){2,}\b", _version),
    _sub(r"(?<![0-9.,])0[0-9]+(?![0-9]|[.,][0-9])", lambda m: f" {digits(m.group(0))} "),
    _sub(r"(?<=[0-9])\s?[–-]\s?(?=[0-9])", " to "),
    _sub(r"(?<![0-9.,])(1[0-9]{3}|20[0-9]{2})(?![0-9]|[.,][0-9])", _year),
    _sub(r"(?<![\w)\]])-(?=[0-9])", "minus "),
    _sub(r"(?<![0-9])[0-9]{16,}", lambda m: f" {digits(m.group(0))} "),
    _sub(rf"(?<![0-9]){_NUM}", lambda m: f" {number_words(m.group(0))} "),
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Abbreviations, initialisms, acronyms, symbols
# --------------------------------------------------------------------------------------------


def _keep_period(match: re.Match[str], expansion: str) -> str:
    after = match.string[match.end() : match.end() + 1]
    return expansion + ("." if after in ("", "\n") else "")


def _saint_or_street(match: re.Match[str]) -> str:
    after = match.string[match.end() : match.end() + 3]
    if re.match(r"\s+[A-Z]", after):
        return "Saint"
    return _keep_period(match, "Street")


_TITLE_NAMES = "|".join(TITLES)
_ABBR_NAMES = "|".join(ABBREVIATIONS)

_ABBREVIATION_PASSES = (
    *(_sub(pattern, words, re.IGNORECASE) for pattern, words in LATIN_ABBREVIATIONS),
    _sub(rf"\b({_TITLE_NAMES})\.(?=\s)", lambda m: TITLES[m.group(1)]),
    _sub(r"\b(Mr|Mrs|Ms|Dr)\b(?=\s+[A-Z])", lambda m: TITLES[m.group(1)]),
    _sub(r"\bSt\.", _saint_or_street),
    _sub(rf"\b({_ABBR_NAMES})\.", lambda m: _keep_period(m, ABBREVIATIONS[m.group(1)])),
    _sub(rf"\b({_MONTH_ABBR})\.", lambda m: _keep_period(m, _month(m.group(1)))),
)  # fmt: skip


def _roman(match: re.Match[str]) -> str:
    """Louis XIV -> Louis the fourteenth; World War II -> World War two; others unchanged."""
    word, numeral = match.group(1), match.group(2)
    value = roman_value(numeral)
    after = match.string[match.end() : match.end() + 4]
    if value is None:
        return match.group(0)
    if len(numeral) == 1 and numeral not in "IVX":
        return match.group(0)  # "Type C", "Vitamin D"
    if word.lower() in ROMAN_CARDINAL_AFTER:
        return f"{word} {cardinal(value)}"
    if not word[0].isupper() or not word[1:].islower() or set(numeral) - set("IVX"):
        return match.group(0)  # only names take regnal numerals, and only I, V and X ones
    if len(numeral) == 1 and (word not in REGNAL_NAMES or re.match(r"\s+(?!of\b)[a-z]", after)):
        return match.group(0)  # "Henry V", "Elizabeth I of England", but not "Mary I think"
    return f"{word} the {ordinal(value)}"


_ROMAN_PASSES = (_sub(r"\b([A-Za-z]{2,})\s+([IVXLCDM]+)\b(?![\w-])", _roman),)


def _initialism(match: re.Match[str]) -> str:
    letters = [c.upper() for c in match.group(0) if c.isalpha()]
    return _keep_period(match, "-".join(letters))


_ACRONYM_PASSES = (
    _sub(r"(?<![\w.])(?:[A-Za-z]\.){2,}(?![\w])", _initialism),
    _sub(r"\b([A-Z])\.(?=\s+[A-Z])", r"\1"),
    _sub(r"\b[BCDFGHJ-NP-TV-Z]{2,6}\b", lambda m: "-".join(m.group(0))),
)

_SYMBOL_WORDS = {
    "&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "%": " percent ",
    "°": " degrees ", "/": " slash ", "\\": " backslash ", "<": " less than ",
    ">": " greater than ", "×": " times ", "÷": " divided by ", "±": " plus or minus ",
    "©": " copyright ", "®": " registered ", "™": " trademark ", "§": " section ",
    "¶": " paragraph ", "→": " to ", "²": " squared ", "³": " cubed ", "$": " dollars ",
    "€": " euros ", "£": " pounds ", "¥": " yen ", "₹": " rupees ", "|": ", ", "•": ", ",
    "·": ", ", "*": " ", "_": " ", "^": " ", "~": " ", "`": "'", "{": "(", "}": ")",
    "[": "(", "]": ")",
}  # fmt: skip
_SYMBOL_PASSES = (
    _sub(r"#(?=[A-Za-z])", " hashtag "),
    _sub(r"#", " hash "),
    _sub("[" + re.escape("".join(_SYMBOL_WORDS)) + "]", lambda m: _SYMBOL_WORDS[m.group(0)]),
)


def _ascii_digits(text: str) -> str:
    return "".join(
        str(unicodedata.digit(c)) if not c.isascii() and unicodedata.category(c) == "Nd" else c
        for c in text
    )


_KEEP_NON_ASCII = set("—…¡¿")


def _char_class(ch: str) -> str:
    """keep (ASCII, Latin letters, our punctuation), ascii (other scripts), or drop."""
    if ch.isascii() or ch in _KEEP_NON_ASCII:
        return "keep"
    cat = unicodedata.category(ch)
    if cat[0] in "LM" and "LATIN" in unicodedata.name(ch, ""):
        return "keep"
    if cat[0] in "LMN" or (cat[0] == "P" and _unidecode(ch) in _ASCII_PUNCTUATION):
        return "ascii"
    return "drop"


def _unidecode(text: str) -> str:
    from unidecode import unidecode

    return str(unidecode(text)).replace("[?]", "")


_ASCII_PUNCTUATION = frozenset(",.;:!?'\"()-")


def _transliterate(text: str) -> str:
    """Latin letters keep their accents; other scripts become ASCII; stray symbols go."""
    out: list[str] = []
    for kind, group in itertools.groupby(text, key=_char_class):
        run = "".join(group)
        if kind == "keep":
            out.append(run)
        elif kind == "ascii":
            out.append(f" {_unidecode(run)} ")
        else:
            out.append(" ")
    return "".join(out)


_PIPELINE = (
    _ADDRESS_PASSES
    + _MONEY_PASSES
    + _TIME_DATE_PASSES
    + _NUMBER_PASSES
    + _ABBREVIATION_PASSES
    + _ROMAN_PASSES
    + _ACRONYM_PASSES
    + _SYMBOL_PASSES
)


_DANGLING_HYPHEN_RE = re.compile(r"\s+-(?=\w)|(?<=\w)-\s+")


def normalize_english(text: str) -> str:
    """Written English -> one line of speakable English (see the module docstring for the order)."""
    text = _ascii_digits(clean_unicode(text))
    for pattern, repl in _PIPELINE:
        text = pattern.sub(repl, text)  # type: ignore[call-overload]
    text = _transliterate(text)
    text = _DANGLING_HYPHEN_RE.sub(" ", text)  # "R2-D2" -> "R two -D two" -> "R two D two"
    text = re.sub(r"\s+([,.;:!?…])", r"\1", text)
    return collapse_whitespace(text)
