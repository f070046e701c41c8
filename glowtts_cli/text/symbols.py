"""Symbol tables: the mapping between front-end tokens and the integer ids a model embeds.

A voice stores its own table (``TextConfig.symbols``; a symbol's index is its id, index 0 is the
pad) so ids never drift when the defaults here change. The optional blank (id ``len(symbols)``)
is interspersed between tokens exactly as the official Glow-TTS ``add_blank`` (Kim et al. 2020).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from glowtts_cli.config import TextConfig
from glowtts_cli.errors import ConfigError

logger = logging.getLogger(__name__)

PAD = "_"
"""The pad symbol; always id 0. Text never produces it (a literal '_' in the input is dropped)."""

# ---------------------------------------------------------------------------------------------
# The official Glow-TTS / Tacotron table (148 symbols), rebuilt from its documented layout.
# ---------------------------------------------------------------------------------------------

_ARPABET_VOWELS = (
    "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW",
)  # fmt: skip
_ARPABET_CONSONANTS = (
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
    "T", "TH", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip

ARPABET: tuple[str, ...] = tuple(
    sorted(
        [v + s for v in _ARPABET_VOWELS for s in ("", "0", "1", "2")] + list(_ARPABET_CONSONANTS)
    )
)
"""The 84 CMUdict phones (vowels with and without stress digits), alphabetically as CMUdict."""

_ASCII_UPPER = tuple(chr(c) for c in range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = tuple(chr(c) for c in range(ord("a"), ord("z") + 1))

OFFICIAL_SYMBOLS: tuple[str, ...] = (
    PAD,
    "-",
    *"!'(),.:;? ",
    *_ASCII_UPPER,
    *_ASCII_LOWER,
    *("@" + p for p in ARPABET),
)
"""pad, '-', ``!'(),.:;?`` and space, A-Z, a-z, then '@'-prefixed ARPAbet: ids 0..147."""

# ---------------------------------------------------------------------------------------------
# The default IPA table for espeak-ng voices.
# ---------------------------------------------------------------------------------------------

ESPEAK_PUNCTUATION = " !\"'(),-.:;?¡¿—…«»“”"
"""Pause-making marks kept through phonemisation (phonemizer's defaults that we let through)."""

_IPA_EXTENSIONS = tuple(chr(c) for c in range(0x0250, 0x02B0))  # ɐ .. ʯ, the IPA block
_IPA_LATIN = tuple("æçðøħŋœǀǁǂǃ")
_IPA_GREEK = tuple("βθχεɸ")
_IPA_MODIFIERS = tuple("ʰʱʲʷʼˀˈˌːˑ˞ˠˡˤ˥˦˧˨˩ᵊᵝᵻⁿ↑↓‖")
_IPA_COMBINING = tuple(
    chr(c)
    for c in (
        0x0303,  # nasal (tilde)
        0x0306,  # extra short
        0x0308,  # centralised
        0x030A,  # voiceless (ring above)
        0x031A,  # no audible release
        0x031D,  # raised
        0x031E,  # lowered
        0x031F,  # advanced
        0x0320,  # retracted
        0x0324,  # breathy
        0x0325,  # voiceless (ring below)
        0x0329,  # syllabic
        0x032A,  # dental
        0x032F,  # non-syllabic
        0x0330,  # creaky
        0x0339,  # more rounded
        0x033A,  # apical
        0x0361,  # tie bar
    )
)
_IPA_PRECOMPOSED = tuple("äëïöüãẽĩõũ")
_TONE_DIGITS = tuple("0123456789")

DEFAULT_IPA_SYMBOLS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            PAD,
            *ESPEAK_PUNCTUATION,
            *_ASCII_LOWER,
            *_IPA_EXTENSIONS,
            *_IPA_LATIN,
            *_IPA_GREEK,
            *_IPA_MODIFIERS,
            *_IPA_COMBINING,
            *_IPA_PRECOMPOSED,
            *_TONE_DIGITS,
        )
    )
)
"""pad, punctuation and space, a-z, the IPA block, stress/length/tone marks and diacritics that
espeak-ng emits for en-us and other common languages (digits are Mandarin/Vietnamese tones)."""

CHARACTER_SYMBOLS: tuple[str, ...] = tuple(
    dict.fromkeys((PAD, *ESPEAK_PUNCTUATION, *_ASCII_LOWER, *"àáâäçèéêëìíîïñòóôöùúûüß"))
)
"""pad, punctuation and space, lowercase letters: the table of the ``characters`` front end."""


def default_symbols(phonemizer: str) -> tuple[str, ...]:
    """The default table of a front end kind (``espeak``, ``official`` or ``characters``)."""
    tables = {
        "espeak": DEFAULT_IPA_SYMBOLS,
        "official": OFFICIAL_SYMBOLS,
        "characters": CHARACTER_SYMBOLS,
    }
    if phonemizer not in tables:
        raise ConfigError(
            f"No default symbol table for front end '{phonemizer}'.",
            hint="Use one of: " + ", ".join(tables),
        )
    return tables[phonemizer]


def _is_silent(symbol: str) -> bool:
    """Punctuation, spaces and the pad make pauses or nothing; they are not pronounceable."""
    if symbol == PAD or not symbol:
        return True
    return all(unicodedata.category(c)[0] in "PZS" for c in symbol)


@dataclass(frozen=True)
class SymbolTable:
    """Token <-> id mapping of one voice, with the optional official blank.

    It knows nothing about phonemes or languages: the front end hands it a token sequence (one
    character each, or whole ARPAbet tokens such as ``@AH0``) and gets ids back.
    """

    symbols: tuple[str, ...]
    """The symbols; index = id. Index 0 is the pad."""
    add_blank: bool = False
    """Intersperse ``blank_id`` around and between tokens (official ``commons.intersperse``)."""
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)
    _silent: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ConfigError("A symbol table needs at least the pad symbol.")
        if len(set(self.symbols)) != len(self.symbols):
            dupes = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
            raise ConfigError(f"Symbol table has duplicates: {dupes}.")
        object.__setattr__(self, "_ids", {s: i for i, s in enumerate(self.symbols)})
        silent = frozenset(i for i, s in enumerate(self.symbols) if _is_silent(s))
        object.__setattr__(self, "_silent", silent)

    @classmethod
    def from_config(cls, config: TextConfig) -> SymbolTable:
        """The table a voice config declares, or the default for its front end when it has none."""
        symbols = config.symbols or default_symbols(config.phonemizer)
        return cls(symbols=tuple(symbols), add_blank=config.add_blank)

    @property
    def pad_id(self) -> int:
        """Id of the pad symbol (0)."""
        return 0

    @property
    def blank_id(self) -> int | None:
        """Id of the interspersed blank (``len(symbols)``), or None without blanks."""
        return len(self.symbols) if self.add_blank else None

    @property
    def n_vocab(self) -> int:
        """Ids the model must embed: the symbols plus the blank if any."""
        return len(self.symbols) + (1 if self.add_blank else 0)

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids and symbol != self.symbols[0]

    def index(self, symbol: str) -> int | None:
        """Id of ``symbol``, or None if the table lacks it."""
        return self._ids.get(symbol)

    def lookup(self, tokens: Iterable[str]) -> tuple[list[int], list[str]]:
        """Ids of the known tokens, and the distinct unknown tokens that were dropped (in order).

        The pad symbol is never produced from text, so a literal pad in the input counts as
        unknown. No blanks are added here.
        """
        ids: list[int] = []
        dropped: dict[str, None] = {}
        table = self._ids
        for token in tokens:
            i = table.get(token, 0)
            if i == 0:
                dropped[token] = None
            else:
                ids.append(i)
        return ids, list(dropped)

    def intersperse(self, ids: Sequence[int]) -> list[int]:
        """``[b, x1, b, x2, ..., xn, b]`` with the blank id, or ``ids`` unchanged without blanks."""
        if self.blank_id is None:
            return list(ids)
        out = [self.blank_id] * (2 * len(ids) + 1)
        out[1::2] = ids
        return out

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Tokens -> ids (+ blanks); unknown tokens are dropped with one warning naming them."""
        ids, dropped = self.lookup(tokens)
        warn_dropped(dropped)
        return self.intersperse(ids)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> tokens, skipping pad and blank ids. Raises ConfigError on an id out of range."""
        out: list[str] = []
        for i in ids:
            if i == self.blank_id or i == 0:
                continue
            if not 0 <= i < len(self.symbols):
                raise ConfigError(f"Id {i} is outside the symbol table (size {self.n_vocab}).")
            out.append(self.symbols[i])
        return out

    def is_pronounceable(self, ids: Iterable[int]) -> bool:
        """Whether any id is a sound (not pad, blank, punctuation or space)."""
        blank = self.blank_id
        return any(i != blank and i not in self._silent for i in ids)


def warn_dropped(dropped: Sequence[str]) -> None:
    """Log the one warning of a front-end call that had to drop unknown symbols."""
    if dropped:
        shown = ", ".join(repr(s) for s in dropped[:20])
        more = f" and {len(dropped) - 20} more" if len(dropped) > 20 else ""
        logger.warning("Dropped symbols not in the voice's symbol table: %s%s", shown, more)
