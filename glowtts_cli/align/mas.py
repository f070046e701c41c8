"""Monotonic Alignment Search (Kim et al. 2020, Glow-TTS, section 3.2, Algorithm 1).

Finds the monotonic, surjective token-to-frame alignment with the highest summed log-likelihood, one
batch item per thread in a Numba kernel. It reproduces the official glow-tts Cython kernel exactly:
float32 arithmetic, the -1e9 boundary score, and its tie-breaking (ties go to the later token).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import torch
from numpy.typing import NDArray

__all__ = ["lengths_from_mask", "maximum_path", "maximum_path_with_table", "search_paths"]

logger = logging.getLogger(__name__)

_PARALLEL_MIN_CELLS = 1 << 17
"""Below this many valid cells a batch runs on the calling thread: starting and joining worker
threads costs more than it saves there, and much more on a loaded machine (measured: 20 us serial
vs 17 ms parallel for a [3, 5, 9] batch while other processes kept both cores busy)."""

_TILE = 16
"""Frames per tile: their band values are transposed into a small buffer that stays in L1."""


def _load_tile_py(value: NDArray[np.float32], tile: NDArray[np.float32]) -> None:
    """``tile[k, i] = value[i, k]``: transpose a [T_x', <= _TILE] block of band values.

    The caller passes slices that start at the band's first token and frame. Loops from 0 with a
    constant inner length compile to vector code; with variable bounds this loop ran 2x slower.
    """
    if value.shape[1] == _TILE:
        for i in range(value.shape[0]):
            for k in range(_TILE):
                tile[k, i] = value[i, k]
    else:
        for i in range(value.shape[0]):
            for k in range(value.shape[1]):
                tile[k, i] = value[i, k]


def _column_py(
    advance: NDArray[np.float32],
    stay: NDArray[np.float32],
    frame: NDArray[np.float32],
    out: NDArray[np.float32],
    step: NDArray[np.int8],
) -> None:
    """One DP frame over the band's tokens: ``out = max(stay, advance) + frame`` and the decisions.

    ``step[i] = stay[i] < advance[i]``, strictly, as the official backtracking compares
    ``v[i, j-1] < v[i-1, j-1]``: on a tie the path stays on the later token.
    """
    for i in range(frame.shape[0]):
        s = stay[i]
        a = advance[i]
        up = s < a
        step[i] = up
        out[i] = (a if up else s) + frame[i]


def _search_item_py(
    value: NDArray[np.float32],
    t_x: int,
    t_y: int,
    path: NDArray[np.float32],
    table: NDArray[np.float32],
    keep_table: bool,
) -> None:
    """DP and backtracking for one item; ``value``, ``path``, ``table``: [T_x, T_y].

    The band of frame j is tokens ``max(0, t_x + j - t_y) <= i < min(t_x, j + 1)``. The DP keeps two
    rolling columns shifted by one slot: ``prev[i + 1]`` is token i's best score at frame j - 1 and
    slot 0 is "token -1" (0 before frame 0, then -1e9). Decisions go to ``step`` [T_y, T_x] (int8),
    the only per-cell state the backtracking needs. Values are transposed tile by tile so that the
    loop over tokens reads contiguous memory and vectorises (the input is [T_x, T_y], row-major).
    Needs 0 < t_x <= t_y.
    """
    neg = np.float32(-1e9)
    prev = np.empty(t_x + 1, dtype=np.float32)
    cur = np.empty(t_x + 1, dtype=np.float32)
    step = np.empty((t_y, t_x), dtype=np.int8)  # only band cells are written and read
    tile = np.empty((_TILE, t_x), dtype=np.float32)
    prev[0] = np.float32(0.0)
    for j0 in range(0, t_y, _TILE):
        j1 = min(j0 + _TILE, t_y)
        row_lo = max(0, t_x + j0 - t_y)
        row_hi = min(t_x, j1)
        _load_tile(value[row_lo:row_hi, j0:j1], tile[:, row_lo:row_hi])
        for j in range(j0, j1):
            lo = max(0, t_x + j - t_y)
            hi = min(t_x, j + 1)
            if j < t_x:  # token j is first reachable at frame j: it cannot "stay" there
                prev[j + 1] = neg
            # Slices that start at 0: with a variable start index LLVM's vector loop was never
            # taken (3.5x slower).
            _column(
                prev[lo:hi],
                prev[lo + 1 : hi + 1],
                tile[j - j0, lo:hi],
                cur[lo + 1 : hi + 1],
                step[j, lo:hi],
            )
            if keep_table:
                for i in range(lo, hi):
                    table[i, j] = cur[i + 1]
            prev, cur = cur, prev
            prev[0] = neg  # after frame 0, nothing comes from "token -1"
    i = t_x - 1
    for j in range(t_y - 1, -1, -1):
        path[i, j] = np.float32(1.0)
        if i != 0 and (i == j or step[j, i] != 0):
            i -= 1


def _search_batch_py(
    value: NDArray[np.float32],
    t_xs: NDArray[np.int64],
    t_ys: NDArray[np.int64],
    path: NDArray[np.float32],
    table: NDArray[np.float32],
    keep_table: bool,
) -> None:
    """Fill ``path`` (zeros on entry) item by item in parallel; ``table`` only if ``keep_table``."""
    for b in numba.prange(value.shape[0]):
        t_x = t_xs[b]
        t_y = t_ys[b]
        if t_x > 0 and t_y > 0:
            table_b = table[b] if keep_table else table[0]
            _search_item(value[b], t_x, t_y, path[b], table_b, keep_table)


def _jit(func: Callable[..., Any], **options: Any) -> Any:
    """``numba.njit(cache=True)``, or without the on-disk cache when no cache folder is writable.

    Numba picks the cache folder when the decorator runs (``NUMBA_CACHE_DIR``, else next to this
    file, else a user-wide folder) and raises if none is writable: importing must not fail then.
    Compilation itself is lazy (first call), so importing stays cheap.
    """
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError as error:  # "cannot cache function ...: no locator available"
        logger.debug("numba cache unavailable (%s); compiling without it", error)
        return numba.njit(cache=False, **options)(func)


_load_tile: Any = _jit(_load_tile_py)
_column: Any = _jit(_column_py)
_search_item: Any = _jit(_search_item_py)
_search_batch: Any = _jit(_search_batch_py, parallel=True)
_search_batch_serial: Any = _jit(_search_batch_py)  # prange runs as range


def search_paths(
    value: NDArray[np.floating[Any]],
    x_lengths: NDArray[np.integer[Any]],
    y_lengths: NDArray[np.integer[Any]],
    *,
    table: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """Numpy MAS: the maximum-score monotonic path of every item.

    Args:
        value: [B, T_x, T_y] scores (log-likelihoods), used in float32. Only each item's valid cells
            (``i < x_len``, ``j < y_len``) are read, so the padding may hold anything, even inf/NaN.
        x_lengths: [B] tokens per item.
        y_lengths: [B] frames per item. An item with 0 tokens or 0 frames gets an all-zero path.
        table: optional C-contiguous float32 [B, T_x, T_y] array that receives the official kernel's
            DP table: band cells are overwritten with the best cumulative score, others left as is.

    Returns:
        [B, T_x, T_y] float32 0/1 path: per item, each frame ``j < y_len`` is on exactly one token;
        the token index starts at 0, never decreases, grows by at most 1 per frame and ends at
        ``x_len - 1``. Ties go to the later token.

    Raises:
        ValueError: ``value`` is not 3-D, a length is outside its axis, or an item has more tokens
            than frames (no path then gives every token a frame).
    """
    if value.ndim != 3:
        raise ValueError(f"value must be [B, T_x, T_y]; got shape {value.shape}")
    batch, t_x_max, t_y_max = value.shape
    t_xs = np.asarray(x_lengths).astype(np.int64).reshape(-1)  # [B]
    t_ys = np.asarray(y_lengths).astype(np.int64).reshape(-1)  # [B]
    if t_xs.shape != (batch,) or t_ys.shape != (batch,):
        raise ValueError(f"need {batch} x_lengths and y_lengths; got {t_xs.shape}, {t_ys.shape}")
    bad = np.flatnonzero((t_xs < 0) | (t_ys < 0) | (t_xs > t_x_max) | (t_ys > t_y_max))
    if bad.size:
        raise ValueError(
            f"lengths outside [0, {t_x_max}] x [0, {t_y_max}] for items {bad.tolist()}"
        )
    short = np.flatnonzero((t_ys < t_xs) & (t_ys > 0))
    if short.size:
        raise ValueError(
            f"MAS needs at least as many frames as tokens; items {short.tolist()} have "
            f"x_len={t_xs[short].tolist()} > y_len={t_ys[short].tolist()}"
        )
    value32 = np.ascontiguousarray(value, dtype=np.float32)
    path = np.zeros(value32.shape, dtype=np.float32)
    keep_table = table is not None
    if table is None:
        table = np.empty((1, 1, 1), np.float32)  # never written
    elif table.shape != value.shape or table.dtype != np.float32 or not table.flags.c_contiguous:
        raise ValueError(f"table must be a C-contiguous float32 array of shape {value.shape}")
    small = int((t_xs * t_ys).sum()) < _PARALLEL_MIN_CELLS or numba.get_num_threads() == 1
    kernel = _search_batch_serial if small else _search_batch
    kernel(value32, t_xs, t_ys, path, table, keep_table)
    return path


def lengths_from_mask(
    mask: NDArray[np.floating[Any]],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(x_lengths, y_lengths), each [B], read as the official wrapper reads them.

    ``t_x = mask.sum(1)[:, 0]`` (valid tokens at frame 0) and ``t_y = mask.sum(2)[:, 0]`` (valid
    frames of token 0), for a [B, T_x, T_y] 0/1 mask.
    """
    if mask.ndim != 3:
        raise ValueError(f"mask must be [B, T_x, T_y]; got shape {mask.shape}")
    x_lengths = mask[:, :, 0].astype(np.float64).sum(1).astype(np.int64)  # [B]
    y_lengths = mask[:, 0, :].astype(np.float64).sum(1).astype(np.int64)  # [B]
    return x_lengths, y_lengths


def maximum_path_with_table(
    value: NDArray[np.floating[Any]], mask: NDArray[np.floating[Any]]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The official ``maximum_path(value, mask)`` in numpy, also returning its in-place DP table.

    Args:
        value: [B, T_x, T_y] scores.
        mask: [B, T_x, T_y] 0/1, 1 where ``i < x_len`` and ``j < y_len``.

    Returns:
        ``path`` [B, T_x, T_y] float32 0/1, and ``table`` [B, T_x, T_y] float32: the best cumulative
        score inside each item's band ``max(0, x_len + j - y_len) <= i <= min(x_len - 1, j)`` and
        ``value * mask`` elsewhere, as the official Cython kernel leaves its float32 buffer.
    """
    if value.shape != mask.shape:
        raise ValueError(f"value and mask shapes differ: {value.shape} vs {mask.shape}")
    x_lengths, y_lengths = lengths_from_mask(mask)
    table = np.ascontiguousarray(value * mask, dtype=np.float32)
    path = search_paths(table.copy(), x_lengths, y_lengths, table=table)
    return path, table


def maximum_path(log_p: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Most likely monotonic alignment of tokens to frames (Glow-TTS MAS, as the official kernel).

    Args:
        log_p: [B, T_x, T_y] log-likelihood of frame j under token i's prior; any float dtype
            and device.
        mask: [B, T_x, T_y] 0/1, 1 where ``i < x_lengths`` and ``j < y_lengths`` (the outer
            product of ``x_mask`` and ``y_mask``). Lengths come from its first column and first
            row, as in the official wrapper; within them the mask is 1, so ``log_p`` needs no
            masking beforehand.

    Returns:
        [B, T_x, T_y] 0/1 path with ``log_p``'s dtype and device: each valid frame is on exactly one
        token, tokens advance by at most one per frame, and every valid token gets at least one
        frame. Ties go to the later token. No gradient flows through it.

    Raises:
        ValueError: shapes differ or are not 3-D, or an item has more tokens than frames.
    """
    if log_p.dim() != 3 or log_p.shape != mask.shape:
        raise ValueError(
            f"log_p and mask must both be [B, T_x, T_y]; got {tuple(log_p.shape)}, "
            f"{tuple(mask.shape)}"
        )
    x_lengths = mask[:, :, 0].detach().sum(1).to(torch.int64).cpu().numpy()  # [B]
    y_lengths = mask[:, 0, :].detach().sum(1).to(torch.int64).cpu().numpy()  # [B]
    value = log_p.detach().to(device="cpu", dtype=torch.float32)  # no copy if CPU float32 already
    path = search_paths(value.numpy(), x_lengths, y_lengths)
    return torch.from_numpy(path).to(device=log_p.device, dtype=log_p.dtype)
