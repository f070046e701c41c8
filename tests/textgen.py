"""Generated test texts shared by the long-text and streaming tests."""

from __future__ import annotations

import random

WORDS = (
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "seven", "bright",
    "stars", "shine", "above",
)  # fmt: skip


def long_text(n_chars: int, seed: int = 0) -> str:
    """Plain sentences of 4 to 12 words until ``n_chars`` characters."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < n_chars:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        out.append(words.capitalize() + rng.choice(".!?"))
        size += len(out[-1]) + 1
    return " ".join(out)
