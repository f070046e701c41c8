"""Coverage of the espeak-ng en-us phoneme inventory by a list of sentences.

The inventory is every phone espeak-ng (via phonemizer, pip-shipped by espeakng-loader) produces for
the alphabetic words of CMUdict; phones that occur in fewer than ``MIN_DICT_WORDS`` dictionary words
and the loan sounds of foreign names (:data:`LOAN_PHONES`) are listed apart as marginal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

MIN_DICT_WORDS = 20
"""A phone must occur this often across CMUdict to count as part of the en-us inventory."""

LOAN_PHONES = frozenset({"x", "r"})
"""Sounds espeak keeps for foreign names (Bach, Aguirre): reported, not part of the inventory."""

RARE = 20
"""A covered phone with fewer occurrences than this in the corpus is reported as rare."""


@cache
def _backend() -> Any:
    import espeakng_loader
    from phonemizer.backend import EspeakBackend
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    # Both paths must be set: with the library alone espeak exits the process with status 1.
    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    return EspeakBackend("en-us", with_stress=False, words_mismatch="ignore")


def phone_counts(texts: Iterable[str]) -> Counter[str]:
    """How often each espeak en-us phone occurs in ``texts`` (phones as espeak segments them)."""
    from phonemizer.separator import Separator

    out = _backend().phonemize(list(texts), separator=Separator(phone=" ", word=" | "))
    return Counter(p for line in out for word in line.split(" | ") for p in word.split())


def coverage_report(sentences: list[str], lexicon: Iterable[str]) -> str:
    """Table of the inventory, each phone's count in ``sentences``, and the coverage summary."""
    inventory = phone_counts(w for w in sorted(lexicon) if w.isalpha())
    corpus = phone_counts(sentences)
    core = sorted(
        (p for p, n in inventory.items() if n >= MIN_DICT_WORDS and p not in LOAN_PHONES),
        key=lambda p: -corpus[p],
    )
    marginal = sorted(p for p in inventory if p not in core)
    covered = [p for p in core if corpus[p] > 0]
    rare = [p for p in covered if corpus[p] < RARE]
    lines = [f"phoneme coverage (espeak-ng en-us, {len(sentences)} sentences):"]
    lines += [
        "  " + "  ".join(f"{p}:{corpus[p]}" for p in core[i : i + 10])
        for i in range(0, len(core), 10)
    ]
    lines.append(
        f"  covered {len(covered)}/{len(core)} phones of the en-us inventory "
        f"({100 * len(covered) / len(core):.1f} %); least frequent "
        f"{core[-1]}={corpus[core[-1]]}; rare (<{RARE}): {' '.join(rare) or 'none'}"
    )
    missing = [p for p in core if corpus[p] == 0]
    lines.append(f"  missing: {' '.join(missing) or 'none'}")
    extra = " ".join(f"{p}:{corpus[p]}" for p in marginal)
    lines.append(f"  marginal (loan sounds, < {MIN_DICT_WORDS} dictionary words): {extra}")
    return "\n".join(lines)
