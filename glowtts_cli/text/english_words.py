"""English word tables and number reading used by the English normaliser.

Number words come from num2words (well kept, already a dependency; inflect is only used by the
official front end because it imports in seconds); this module decides which reading applies
(cardinal, ordinal, year, digit by digit) and holds the small tables no library provides in
this form (units, titles, currency names).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_MAX_CARDINAL = 10**15
"""Above this, a number is read digit by digit (nobody says "four quadrillion ...")."""


@functools.cache
def _num2words() -> Callable[..., str]:
    from num2words import num2words

    return num2words  # type: ignore[no-any-return]


def _american(words: str) -> str:
    """No commas and no "and" inside a number: "one hundred one", as en-US speakers say it."""
    return words.replace(",", "").replace(" and ", " ")


def digits(text: str) -> str:
    """Digit by digit: ``"007"`` -> ``"zero zero seven"``."""
    return " ".join(_DIGITS[int(c)] for c in text if c in "0123456789")


def _small(n: int | str) -> int | None:
    """The value if it is read as a number, None if it is read digit by digit (too long)."""
    if isinstance(n, int):
        return n if n < _MAX_CARDINAL else None
    digits_only = n.lstrip("0") or "0"
    return int(digits_only) if len(digits_only) <= 15 else None


def cardinal(n: int | str) -> str:
    """``1234`` -> ``"one thousand two hundred thirty-four"``."""
    value = _small(n)
    if value is None:
        return digits(str(n))
    return _american(_num2words()(value, lang="en"))


def ordinal(n: int | str) -> str:
    """``21`` -> ``"twenty-first"``."""
    value = _small(n)
    if value is None:
        return digits(str(n)) + "th"
    return _american(_num2words()(value, lang="en", to="ordinal"))


def year(n: int) -> str:
    """Years read in pairs: 1999 nineteen ninety-nine, 1905 nineteen oh five, 1900 nineteen
    hundred, 2005 two thousand five, 2024 twenty twenty-four."""
    if n % 1000 == 0 or 2000 <= n < 2010 or n < 1000 or n >= 10000:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{cardinal(high)} hundred"
    return f"{cardinal(high)} {cardinal(low) if low >= 10 else 'oh ' + cardinal(low)}"


def number_words(text: str) -> str:
    """A written number (commas allowed, optional decimals) as words; decimals digit by digit."""
    whole, _, frac = text.replace(",", "").partition(".")
    words = cardinal(whole or "0")
    return f"{words} point {digits(frac)}" if frac else words


def plural(words: str) -> str:
    """Pluralise the last word: ``"nineteen ninety"`` -> ``"nineteen nineties"``."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

CURRENCIES: dict[str, tuple[str, str, str, str]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
}
"""Symbol -> (one, many, one hundredth, many hundredths)."""

SCALES = {
    "thousand": "thousand", "k": "thousand", "K": "thousand", "million": "million",
    "m": "million", "M": "million", "billion": "billion", "bn": "billion", "B": "billion",
    "trillion": "trillion",
}  # fmt: skip

FRACTIONS: dict[str, tuple[str, str]] = {
    "½": ("one half", "a half"), "¼": ("one quarter", "a quarter"),
    "¾": ("three quarters", "three quarters"), "⅓": ("one third", "a third"),
    "⅔": ("two thirds", "two thirds"), "⅛": ("one eighth", "an eighth"),
    "⅜": ("three eighths", "three eighths"), "⅝": ("five eighths", "five eighths"),
    "⅞": ("seven eighths", "seven eighths"),
}  # fmt: skip
"""Vulgar fraction -> (alone, after a whole number: "2½" is "two and a half")."""

UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"), "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "yd": ("yard", "yards"), "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"), "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"), "l": ("liter", "liters"), "L": ("liter", "liters"),
    "ms": ("millisecond", "milliseconds"), "s": ("second", "seconds"),
    "sec": ("second", "seconds"), "min": ("minute", "minutes"), "h": ("hour", "hours"),
    "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"), "V": ("volt", "volts"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "mAh": ("milliamp hour", "milliamp hours"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
}  # fmt: skip
"""Unit written after a number -> (singular, plural)."""

TITLES: dict[str, str] = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Dr": "Doctor", "Prof": "Professor",
    "Rev": "Reverend", "Hon": "Honorable", "Gen": "General", "Col": "Colonel",
    "Capt": "Captain", "Lt": "Lieutenant", "Sgt": "Sergeant", "Maj": "Major", "Gov": "Governor",
    "Sen": "Senator", "Rep": "Representative", "Pres": "President", "Fr": "Father",
    "Mt": "Mount", "Ft": "Fort", "MR": "Mister", "MRS": "Missus", "DR": "Doctor",
}  # fmt: skip
"""Titles before a name: expanded and their period dropped (it never ends a sentence)."""

ABBREVIATIONS: dict[str, str] = {
    "Jr": "Junior", "Sr": "Senior", "Esq": "Esquire", "Inc": "Incorporated", "Ltd": "Limited",
    "Co": "Company", "Corp": "Corporation", "Bros": "Brothers", "Ave": "Avenue",
    "Blvd": "Boulevard", "Rd": "Road", "Ln": "Lane", "Dept": "Department",
    "Univ": "University", "Assn": "Association", "approx": "approximately",
    "Approx": "approximately", "misc": "miscellaneous", "Fig": "figure", "fig": "figure",
    "Vol": "volume", "vol": "volume", "pp": "pages", "Ch": "chapter", "ch": "chapter",
    "Sec": "section", "Eq": "equation", "Apt": "apartment", "dept": "department",
    "max": "maximum", "etc": "et cetera", "Etc": "et cetera",
}  # fmt: skip
"""Other abbreviations: expanded; their period is kept when it ends the text (sentence end)."""

LATIN_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\be\.\s?g\.", "for example"),
    (r"\bi\.\s?e\.", "that is"),
    (r"\bet al\.", "et al"),
    (r"\bvs\.?(?=\s)", "versus"),
    (r"\bcf\.", "compare"),
    (r"\ba\.k\.a\.", "also known as"),
    (r"\bviz\.", "namely"),
)
"""(pattern, words), matched case-insensitively before the other abbreviations ("c. 2001" is
read "circa" with the numbers, before the year turns into words)."""

ROMAN_CARDINAL_AFTER = frozenset(
    {
        "act", "appendix", "article", "book", "bowl", "category", "chapter", "class", "episode",
        "grade", "level", "mark", "part", "phase", "round", "scene", "season", "section",
        "stage", "title", "type", "vatican", "volume", "war",
    }
)  # fmt: skip
"""Words after which a Roman numeral is a plain number: "World War II", "Chapter XIV"."""

REGNAL_NAMES = frozenset(
    {
        "Alexander", "Benedict", "Catherine", "Charles", "Edward", "Elizabeth", "Ferdinand",
        "Francis", "Frederick", "George", "Gregory", "Henry", "Ivan", "James", "John", "Leo",
        "Louis", "Mary", "Napoleon", "Nicholas", "Paul", "Peter", "Philip", "Pius", "Richard",
        "Victor", "William",
    }
)  # fmt: skip
"""Names read with a one-letter regnal numeral ("Henry V", "Elizabeth I"); longer numerals
("Louis XIV", "George III") follow any capitalised name."""


def roman_value(numeral: str) -> int | None:
    """The value of a canonical upper-case Roman numeral (``"XIV"`` -> 14), else None."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    if not numeral or any(c not in values for c in numeral):
        return None
    total = 0
    for here, after in zip(numeral, numeral[1:] + " ", strict=True):
        v = values[here]
        total += -v if after != " " and values[after] > v else v
    return total if 0 < total < 4000 and to_roman(total) == numeral else None


def to_roman(n: int) -> str:
    """``14`` -> ``"XIV"`` (1 to 3999)."""
    out = []
    for value, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)
