"""Brute-force Monotonic Alignment Search: score every monotonic path (tests only; tiny sizes).

A monotonic path gives each frame j one token ``a[j]``, with ``a[0] = 0``, ``a[-1] = t_x - 1`` and
``a[j+1] - a[j]`` in {0, 1}; so every token gets at least one frame. There are C(t_y - 1, t_x - 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import numpy as np
from numpy.typing import NDArray


def monotonic_paths(t_x: int, t_y: int) -> Iterator[tuple[int, ...]]:
    """Every monotonic path, as the token of each frame: pick the t_x - 1 frames that advance."""
    for advances in combinations(range(1, t_y), t_x - 1):
        tokens = []
        token = 0
        for j in range(t_y):
            if j in advances:
                token += 1
            tokens.append(token)
        yield tuple(tokens)


def path_score(value: NDArray[np.floating], tokens: tuple[int, ...]) -> float:
    """Sum of ``value[token, frame]`` along the path, in float64."""
    return float(sum(float(value[i, j]) for j, i in enumerate(tokens)))


def all_scores(value: NDArray[np.floating]) -> list[tuple[float, tuple[int, ...]]]:
    """(score, path) of every monotonic path through the whole [t_x, t_y] matrix, best first."""
    t_x, t_y = value.shape
    scored = [(path_score(value, p), p) for p in monotonic_paths(t_x, t_y)]
    return sorted(scored, key=lambda item: -item[0])


def tokens_of(path: NDArray[np.floating]) -> tuple[int, ...]:
    """The token of each frame of a 0/1 path [t_x, t_y] (argmax over tokens)."""
    return tuple(int(i) for i in np.argmax(path, axis=0))
