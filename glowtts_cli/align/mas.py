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

# Performance notes (measured on the 2-core benchmark machine, [200, 1000] items):
# - Hot loops index with unsigned (np.uint64) integers. With signed indices numba must handle
#   negative (wrap-around) indices, which kept LLVM from vectorising: the DP ran 3-7x slower.
#   Mixing uint64 and int64 in numba arithmetic gives float64, so every index is made unsigned.
# - The input is [T_x, T_y] row-major but the DP walks frame by frame (columns). Values are copied
#   into a [_TILE, T_x] tile so the loop over tokens reads contiguous memory.
# - Array views inside per-frame loops cost ~10 ns each; the loops index 2-D arrays directly.


def _load_tile_py(
    value: NDArray[np.float32],
    tile: NDArray[np.float32],
    j0: np.uint64,
    j1: np.uint64,
    lo: np.uint64,
    hi: np.uint64,
) -> None:
    """``tile[j - j0, i] = value[i, j]`` for frames [j0, j1) and tokens [lo, hi).

    A full tile has a constant inner length, which LLVM unrolls into vector loads.
    """
    if j1 - j0 == np.uint64(_TILE):
        for i in range(lo, hi):
            for k in range(np.uint64(_TILE)):
                tile[k, i] = value[i, j0 + k]
    else:
        for i in range(lo, hi):
            for k in range(j1 - j0):
                tile[k, i] = value[i, j0 + k]


def _forward_tile_py(
    prev: NDArray[np.float32],
    cur: NDArray[np.float32],
    tile: NDArray[np.float32],
    step: NDArray[np.int8],
    j0: np.uint64,
    j1: np.uint64,
    t_x: np.uint64,
    t_y: np.uint64,
    table: NDArray[np.float32],
    keep_table: bool,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The DP over frames [j0, j1): returns the rolling columns (prev, cur), swapped once per frame.

    ``prev[i + 1]`` is token i's best score at the previous frame; slot 0 is "token -1". At token i
    the score is ``max(stay, advance) + value`` with ``stay = prev[i + 1]``, ``advance = prev[i]``,
    and ``step[j, i] = stay < advance``: strictly, as the official backtracking compares
    ``v[i, j-1] < v[i-1, j-1]``, so on a tie the path stays on the later token.
    """
    neg = np.float32(-1e9)
    one = np.uint64(1)
    for j in range(j0, j1):
        lo = t_x + j - t_y if t_x + j > t_y else np.uint64(0)  # band: tokens [lo, hi)
        hi = min(t_x, j + one)
        if j < t_x:  # token j is first reachable at frame j: it cannot "stay" there
            prev[j + one] = neg
        k = j - j0
        for i in range(lo, hi):
            stay = prev[i + one]
            advance = prev[i]
            up = stay < advance
            step[j, i] = up
            cur[i + one] = (advance if up else stay) + tile[k, i]
        if keep_table:
            for i in range(lo, hi):
                table[i, j] = cur[i + one]
        prev, cur = cur, prev
        prev[0] = neg  # after frame 0, nothing comes from "token -1"
    return prev, cur


def _search_item_py(
    value: NDArray[np.float32],
    t_x_signed: int,
    t_y_signed: int,
    path: NDArray[np.float32],
    table: NDArray[np.float32],
    keep_table: bool,
) -> None:
    """DP and backtracking for one item; ``value``, ``path``, ``table``: [T_x, T_y]; 0 < t_x <= t_y.

    The band of frame j is tokens ``max(0, t_x + j - t_y) <= i < min(t_x, j + 1)``. Only the
    decisions (``step`` [T_y, T_x], int8) are kept for the backtracking, which starts at
    (t_x - 1, t_y - 1) and moves to token i - 1 when i == j (forced) or when ``step`` says so.
    """
    t_x = np.uint64(t_x_signed)
    t_y = np.uint64(t_y_signed)
    tile_len = np.uint64(_TILE)
    prev = np.empty(t_x_signed + 1, dtype=np.float32)
    cur = np.empty(t_x_signed + 1, dtype=np.float32)
    step = np.empty((t_y_signed, t_x_signed), dtype=np.int8)  # only band cells are used
    tile = np.empty((_TILE, t_x_signed), dtype=np.float32)
    prev[0] = np.float32(0.0)  # the official kernel starts from 0 at (0, 0)
    for j0 in range(np.uint64(0), t_y, tile_len):
        j1 = min(j0 + tile_len, t_y)
        lo = t_x + j0 - t_y if t_x + j0 > t_y else np.uint64(0)
        _load_tile(value, tile, j0, j1, lo, min(t_x, j1))
        prev, cur = _forward_tile(prev, cur, tile, step, j0, j1, t_x, t_y, table, keep_table)
    i = t_x_signed - 1
    for j in range(t_y_signed - 1, -1, -1):
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
        if t_xs[b] > 0 and t_ys[b] > 0:
            table_b = table[b] if keep_table else table[0]
            _search_item(value[b], t_xs[b], t_ys[b], path[b], table_b, keep_table)


def _search_batch_serial_py(
    value: NDArray[np.float32],
    t_xs: NDArray[np.int64],
    t_ys: NDArray[np.int64],
    path: NDArray[np.float32],
    table: NDArray[np.float32],
    keep_table: bool,
) -> None:
    """``_search_batch_py`` on the calling thread. A function of its own, not the same one jitted
    without ``parallel``: numba's cache keys on the function, so the two would share entries."""
    for b in range(value.shape[0]):
        if t_xs[b] > 0 and t_ys[b] > 0:
            table_b = table[b] if keep_table else table[0]
            _search_item(value[b], t_xs[b], t_ys[b], path[b], table_b, keep_table)


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
_forward_tile: Any = _jit(_forward_tile_py)
_search_item: Any = _jit(_search_item_py)
_search_batch: Any = _jit(_search_batch_py, parallel=True)
_search_batch_serial: Any = _jit(_search_batch_serial_py)


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
