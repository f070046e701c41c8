"""Monotonic Alignment Search: the official kernel's goldens, brute force, and path properties."""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from safetensors.numpy import load_file

from glowtts_cli.align import (
    lengths_from_mask,
    maximum_path,
    maximum_path_with_table,
    search_paths,
)
from glowtts_cli.align import mas as mas_module
from tests.reference.mas_bruteforce import all_scores, path_score, tokens_of

Array = NDArray[np.float32]

# (t_x, t_y) per item, t_x <= t_y.
item_sizes = st.integers(1, 6).flatmap(lambda t_x: st.tuples(st.just(t_x), st.integers(t_x, 12)))
batches = st.lists(item_sizes, min_size=1, max_size=4)


def _padded_batch(sizes: list[tuple[int, int]], seed: int) -> tuple[Array, Array]:
    """N(0, 1) scores with NaN in the padding (it must never be read), and the 0/1 mask."""
    rng = np.random.default_rng(seed)
    t_x_max = max(t_x for t_x, _ in sizes)
    t_y_max = max(t_y for _, t_y in sizes)
    value = np.full((len(sizes), t_x_max, t_y_max), np.nan, dtype=np.float32)
    mask = np.zeros_like(value)
    for b, (t_x, t_y) in enumerate(sizes):
        value[b, :t_x, :t_y] = rng.standard_normal((t_x, t_y))
        mask[b, :t_x, :t_y] = 1.0
    return value, mask


def _check_path(path: Array, t_x: int, t_y: int) -> None:
    """Zero padding; one token per frame; from token 0 to t_x - 1 in steps of 0 or 1."""
    assert set(np.unique(path)) <= {0.0, 1.0}
    assert not path[t_x:].any() and not path[:, t_y:].any()
    if t_x == 0 or t_y == 0:
        assert not path.any()
        return
    np.testing.assert_array_equal(path[:t_x, :t_y].sum(0), np.ones(t_y))  # one token per frame
    tokens = np.array(tokens_of(path[:t_x, :t_y]))
    assert tokens[0] == 0 and tokens[-1] == t_x - 1  # ends at (0, 0) and (t_x - 1, t_y - 1)
    assert set(np.diff(tokens).tolist()) <= {0, 1}  # monotonic, never skips a token
    assert (path[:t_x, :t_y].sum(1) >= 1).all()  # every token gets a frame


def _band(t_x: int, t_y: int, shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Cells the official kernel fills: ``max(0, t_x + j - t_y) <= i <= min(t_x - 1, j)``."""
    i = np.arange(shape[0])[:, None]
    j = np.arange(shape[1])[None, :]
    return (i >= np.maximum(0, t_x + j - t_y)) & (i <= np.minimum(t_x - 1, j)) & (j < t_y)


def test_matches_official_kernel(reference_dir: Path) -> None:
    tensors = load_file(reference_dir / "mas" / "mas.safetensors")
    cases: dict[str, dict[str, NDArray[np.generic]]] = {}
    for key, array in tensors.items():
        case, name = key.split("/", 1)
        cases.setdefault(case, {})[name] = array
    assert cases, "no MAS cases in the reference file"
    for case, t in sorted(cases.items()):
        path, table = maximum_path_with_table(t["value"], t["mask"])
        np.testing.assert_array_equal(path, t["path"], err_msg=case)
        x_lengths, y_lengths = lengths_from_mask(t["mask"])
        np.testing.assert_array_equal(x_lengths, t["x_lengths"], err_msg=case)
        np.testing.assert_array_equal(y_lengths, t["y_lengths"], err_msg=case)
        for b, (t_x, t_y) in enumerate(zip(x_lengths, y_lengths, strict=True)):
            band = _band(int(t_x), int(t_y), table.shape[1:])
            got, want = table[b], t["accumulated"][b]
            np.testing.assert_allclose(got[band], want[band], rtol=1e-5, atol=1e-4, err_msg=case)
            np.testing.assert_array_equal(got[~band], want[~band], err_msg=case)
        via_torch = maximum_path(torch.from_numpy(t["value"]), torch.from_numpy(t["mask"]))
        np.testing.assert_array_equal(via_torch.numpy(), t["path"], err_msg=case)


@settings(max_examples=60, deadline=None)
@given(t_x=st.integers(1, 4), extra=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_path_score_equals_brute_force(t_x: int, extra: int, seed: int) -> None:
    t_y = t_x + extra
    value = np.random.default_rng(seed).standard_normal((1, t_x, t_y)).astype(np.float32)
    path = search_paths(value, np.array([t_x]), np.array([t_y]))[0]
    ranked = all_scores(value[0])
    best_score, best_path = ranked[0]
    assert path_score(value[0], tokens_of(path)) == pytest.approx(best_score, abs=1e-5)
    if len(ranked) == 1 or ranked[0][0] - ranked[1][0] > 1e-4:  # a unique maximum: that path
        assert tokens_of(path) == best_path


@settings(max_examples=40, deadline=None)
@given(sizes=batches, seed=st.integers(0, 2**32 - 1))
def test_paths_are_monotonic_and_cover_every_frame(sizes: list[tuple[int, int]], seed: int) -> None:
    value, mask = _padded_batch(sizes, seed)
    path = maximum_path(torch.from_numpy(value), torch.from_numpy(mask)).numpy()
    for b, (t_x, t_y) in enumerate(sizes):
        _check_path(path[b], t_x, t_y)


@settings(max_examples=30, deadline=None)
@given(sizes=batches, seed=st.integers(0, 2**32 - 1))
def test_padded_batch_equals_items_alone(sizes: list[tuple[int, int]], seed: int) -> None:
    value, mask = _padded_batch(sizes, seed)
    batched = maximum_path(torch.from_numpy(value), torch.from_numpy(mask)).numpy()
    for b, (t_x, t_y) in enumerate(sizes):
        alone = search_paths(value[b : b + 1, :t_x, :t_y], np.array([t_x]), np.array([t_y]))
        np.testing.assert_array_equal(batched[b, :t_x, :t_y], alone[0])


def test_parallel_batch_equals_items_alone() -> None:
    """A batch big enough for the multi-threaded kernel gives each item's single-threaded path."""
    rng = np.random.default_rng(3)
    x_lengths = rng.integers(40, 121, size=8)
    y_lengths = x_lengths * rng.integers(2, 6, size=8)
    value = rng.standard_normal((8, 120, int(y_lengths.max()))).astype(np.float32)
    assert (x_lengths * y_lengths).sum() >= mas_module._PARALLEL_MIN_CELLS
    batched = search_paths(value, x_lengths, y_lengths)
    for b, (t_x, t_y) in enumerate(zip(x_lengths, y_lengths, strict=True)):
        _check_path(batched[b], t_x, t_y)
        alone = search_paths(
            value[b : b + 1, :t_x, :t_y], x_lengths[b : b + 1], y_lengths[b : b + 1]
        )
        np.testing.assert_array_equal(batched[b, :t_x, :t_y], alone[0])


@settings(max_examples=30, deadline=None)
@given(durations=st.lists(st.integers(1, 6), min_size=1, max_size=12), seed=st.integers(0, 99))
def test_planted_path_is_recovered(durations: list[int], seed: int) -> None:
    """Cells on a planted path score in [-1, 0], all others in [-10, -5]: any other path loses."""
    rng = np.random.default_rng(seed)
    t_x, t_y = len(durations), sum(durations)
    planted = np.repeat(np.arange(t_x), durations)  # token of each frame
    value = rng.uniform(-10.0, -5.0, (1, t_x, t_y)).astype(np.float32)
    value[0, planted, np.arange(t_y)] = rng.uniform(-1.0, 0.0, t_y)
    path = search_paths(value, np.array([t_x]), np.array([t_y]))[0]
    np.testing.assert_array_equal(path.sum(1), durations)
    assert tokens_of(path) == tuple(planted.tolist())


@pytest.mark.parametrize("constant", [0.0, -1.0, 2.0])
@pytest.mark.parametrize(("t_x", "t_y"), [(1, 4), (3, 3), (4, 9), (6, 20)])
def test_ties_go_to_the_last_token(constant: float, t_x: int, t_y: int) -> None:
    """All paths score the same (exactly, integers): durations [1, ..., 1, t_y - t_x + 1]."""
    value = np.full((1, t_x, t_y), constant, dtype=np.float32)
    path = search_paths(value, np.array([t_x]), np.array([t_y]))[0]
    np.testing.assert_array_equal(path.sum(1), [1] * (t_x - 1) + [t_y - t_x + 1])


def test_scores_below_the_boundary_value_still_give_valid_paths() -> None:
    """Below -1e9 (the official boundary score) only the forced moves keep the path valid."""
    value = np.random.default_rng(4).uniform(-3e9, -2e9, (2, 5, 9)).astype(np.float32)
    path = search_paths(value, np.array([5, 5]), np.array([9, 5]))
    _check_path(path[0], 5, 9)
    _check_path(path[1], 5, 5)  # square: the diagonal, every move forced


def _devices() -> list[str]:
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_wrapper_keeps_device_and_dtype(device: str, dtype: torch.dtype) -> None:
    value, mask = _padded_batch([(3, 7), (2, 5)], seed=1)
    log_p = torch.from_numpy(np.nan_to_num(value, nan=0.0)).to(device, dtype).requires_grad_()
    path = maximum_path(log_p, torch.from_numpy(mask).to(device, dtype))
    assert path.dtype == dtype and path.device == log_p.device and not path.requires_grad
    expected = search_paths(value, np.array([3, 2]), np.array([7, 5]))
    np.testing.assert_array_equal(path.cpu().float().numpy(), expected)


def test_empty_items_get_an_all_zero_path() -> None:
    value, mask = _padded_batch([(3, 6), (2, 4)], seed=2)
    mask[1] = 0.0  # item 1 has no tokens (and so, read from the mask, no frames)
    path = maximum_path(torch.from_numpy(value), torch.from_numpy(mask)).numpy()
    assert not path[1].any()
    _check_path(path[0], 3, 6)
    lengths = (np.array([0, 2, 3]), np.array([5, 0, 3]))
    path = search_paths(np.zeros((3, 3, 5), np.float32), *lengths)
    assert not path[:2].any()
    _check_path(path[2], 3, 3)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="at least as many frames as tokens"):
        search_paths(np.zeros((2, 4, 5), np.float32), np.array([2, 4]), np.array([5, 3]))
    with pytest.raises(ValueError, match="outside"):
        search_paths(np.zeros((1, 4, 5), np.float32), np.array([5]), np.array([5]))
    with pytest.raises(ValueError, match=r"\[B, T_x, T_y\]"):
        maximum_path(torch.zeros(1, 2, 3), torch.ones(1, 3, 2))


def _twice(x: int) -> int:
    return 2 * x


def test_import_works_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no usable cache location numba refuses ``cache=True``: we compile without a cache."""
    assert type(mas_module._search_batch._cache).__name__ != "NullCache"  # normally cached
    with pytest.raises(RuntimeError, match="no locator available"):  # what numba does
        monkeypatch.setattr(numba.core.config, "CACHE_LOCATOR_CLASSES", "ZipCacheLocator")
        numba.njit(cache=True)(_twice)
    jitted = mas_module._jit(_twice)
    assert type(jitted._cache).__name__ == "NullCache"
    assert jitted(21) == 42
