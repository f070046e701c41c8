"""Benchmark: sentences per second through the whole text front end (split, normalise, G2P, ids).

For each front end kind it times, after a warm-up, (a) ``encode`` one sentence per call, as
synthesis does, and (b) ``encode_batch`` of 64 utterances per call, as data preparation does,
and reports the median of interleaved repeats. The first call of a process (espeak-ng, CMUdict,
inflect loading) is timed separately as "cold start".

Run: ``python benchmarks/text.py [--sentences 400] [--repeats 5] [--kinds espeak official]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import time

from glowtts_cli.config import TextConfig
from glowtts_cli.text.frontend import TextFrontend

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Mr. Smith paid $3.50 for a coffee at 3:30 p.m. on Jan. 5th.",
    "In 1999, about 50% of the 1,234 respondents agreed with Dr. Jones.",
    "She sells sea shells by the sea shore, or so they say.",
    "Call 555-123-4567 before 9 AM if the 2nd train is late!",
    "The temperature dropped to -5 degrees at the U.S. border.",
    "Visit www.example.com or e-mail john.doe@example.com for details.",
    "He ran 26.2 miles in 3 hours and 15 minutes; a new record?",
    "It was the best of times, it was the worst of times.",
    "Ms. Jackson lives on Main St. near the co-op, e.g. by the park.",
    "The 1990s were different from the '80s in many ways.",
    "NASA and the FBI met at 14:00 on 2024-03-15 to discuss 3 km of road.",
    "Wait... what? Really? I can't believe it's already 2025.",
    "A journey of a thousand miles begins with a single step.",
    "Over 10,000 people attended the 25th annual fair in St. Louis.",
    "Zoë ordered crème brûlée and a jalapeño at the café.",
]


def _frontend(kind: str) -> TextFrontend:
    language = "en" if kind == "official" else "en-us"
    return TextFrontend(TextConfig(language=language, phonemizer=kind, add_blank=True))


def _texts(n: int, offset: int) -> list[str]:
    # A number in each sentence keeps any cache from helping (and varies the normaliser's work).
    return [f"{SENTENCES[i % len(SENTENCES)]} Item {i + offset}." for i in range(n)]


def cold_start(kind: str) -> float:
    """Seconds for a fresh process to import the front end and encode one sentence."""
    code = (
        "import time; t = time.perf_counter();"
        "from glowtts_cli.config import TextConfig;"
        "from glowtts_cli.text.frontend import TextFrontend;"
        f"TextFrontend(TextConfig(language={'en' if kind == 'official' else 'en-us'!r},"
        f" phonemizer={kind!r})).encode('Hello world, 42 times.');"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def measure(kind: str, n: int, repeats: int) -> tuple[float, float]:
    """(sentences/s one per call, sentences/s in batches of 64), medians over repeats."""
    frontend = _frontend(kind)
    frontend.encode_batch(_texts(32, 0))  # warm-up: load backends and dictionaries
    single, batched = [], []
    for r in range(repeats):
        texts = _texts(n, offset=(r + 1) * n)
        start = time.perf_counter()
        for text in texts:
            frontend.encode(text)
        single.append(n / (time.perf_counter() - start))
        start = time.perf_counter()
        for i in range(0, n, 64):
            frontend.encode_batch(texts[i : i + 64])
        batched.append(n / (time.perf_counter() - start))
    return statistics.median(single), statistics.median(batched)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kinds", nargs="+", default=["espeak", "official", "characters"])
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the official symbols lack '%', '@', '"': expected drops
    print(f"{'front end':<12}{'cold start s':>14}{'encode sent/s':>16}{'batch sent/s':>15}")
    for kind in args.kinds:
        cold = cold_start(kind)
        single, batched = measure(kind, args.sentences, args.repeats)
        print(f"{kind:<12}{cold:>14.2f}{single:>16.0f}{batched:>15.0f}")


if __name__ == "__main__":
    main()
