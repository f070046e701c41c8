"""Benchmark: the Numba MAS of glowtts_cli.align against the official Cython algorithm from PyPI.

The reference is ``monotonic-alignment-search`` (the glow-tts Cython kernel, packaged; a dev
dependency). Both get the same torch inputs and their paths must be identical; then each is timed as
a user calls it (torch in, torch out): warm-up, then the median of interleaved runs, so that load
from other processes hits both alike. Also shown: Numba on 1 thread, the best run, the load.

Run: ``python benchmarks/mas.py [--batch 32] [--t-text 200] [--t-mel 1000] [--repeats 15]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numba
import torch
from monotonic_alignment_search import maximum_path as cython_maximum_path

from glowtts_cli.align import maximum_path as numba_maximum_path

Fn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def make_inputs(
    batch: int, t_text: int, t_mel: int, *, full: bool, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-likelihood-like scores [B, T_x, T_y] and the rectangular mask of the item lengths.

    ``full``: every item fills the padded size. Otherwise the lengths are random in plausible
    ranges (40-100 % of t_text tokens, 2-6 frames per token, at most t_mel), and item 0 is full so
    the padded size is exactly [batch, t_text, t_mel].
    """
    gen = torch.Generator().manual_seed(seed)
    log_p = -0.5 * torch.randn(batch, t_text, t_mel, generator=gen) ** 2 - 80.0
    if full:
        x_len = torch.full((batch,), t_text)
        y_len = torch.full((batch,), t_mel)
    else:
        x_len = torch.randint(int(0.4 * t_text), t_text + 1, (batch,), generator=gen)
        rate = 2.0 + 4.0 * torch.rand(batch, generator=gen)
        y_len = torch.clamp((x_len * rate).long(), max=t_mel)
        y_len = torch.maximum(y_len, x_len)
        x_len[0], y_len[0] = t_text, t_mel
    x_mask = (torch.arange(t_text)[None, :] < x_len[:, None]).float()  # [B, T_x]
    y_mask = (torch.arange(t_mel)[None, :] < y_len[:, None]).float()  # [B, T_y]
    return log_p, x_mask[:, :, None] * y_mask[:, None, :]  # [B, T_x, T_y]


def numba_one_thread(log_p: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The Numba MAS restricted to one thread (the per-core speed)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return numba_maximum_path(log_p, mask)
    finally:
        numba.set_num_threads(threads)


def time_interleaved(
    fns: dict[str, Fn], log_p: torch.Tensor, mask: torch.Tensor, repeats: int
) -> dict[str, tuple[list[float], list[float]]]:
    """(wall, CPU) seconds per call for each implementation; they take turns, run after run.

    CPU time is the whole process's (all threads): less disturbed by other processes than wall
    time, but it also counts worker threads that spin while they wait.
    """
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn(log_p, mask)
            times[name][0].append(time.perf_counter() - start)
            times[name][1].append(time.process_time() - start_cpu)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description="Numba MAS vs the official Cython MAS")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--t-text", type=int, default=200)
    parser.add_argument("--t-mel", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    start = time.perf_counter()
    numba_maximum_path(torch.zeros(1, 2, 3), torch.ones(1, 2, 3))
    first_call = time.perf_counter() - start
    print(f"numba first call (compile, or load from cache): {first_call:.2f} s")
    print(f"numba threads: {numba.get_num_threads()} ('numba-1t': 1), paths asserted identical")
    print(f"shape [B, T_x, T_y] = [{args.batch}, {args.t_text}, {args.t_mel}]; ms per call:")
    print("wall median, wall best, CPU median; speed-up vs cython for each of the three")

    fns: dict[str, Fn] = {
        "cython": cython_maximum_path,
        "numba": numba_maximum_path,
        "numba-1t": numba_one_thread,
    }
    print(f"{'inputs':<16}{'implementation':<16}{'median':>8}{'best':>8}{'CPU':>8}  speed-up")
    for label, full in (("random lengths", False), ("all full", True)):
        log_p, mask = make_inputs(args.batch, args.t_text, args.t_mel, full=full, seed=0)
        expected = cython_maximum_path(log_p, mask)
        for fn in fns.values():  # warm-up and the identity check
            if not torch.equal(fn(log_p, mask), expected):
                raise SystemExit(f"paths differ from the Cython kernel on {label} inputs")
        times = time_interleaved(fns, log_p, mask, args.repeats)
        ref = [statistics.median(times["cython"][0]), min(times["cython"][0])]
        ref.append(statistics.median(times["cython"][1]))
        for name, (wall, cpu) in times.items():
            got = [statistics.median(wall), min(wall), statistics.median(cpu)]
            ms = "".join(f"{t * 1e3:>8.2f}" for t in got)
            ratios = " / ".join(f"{r / t:.2f}x" for r, t in zip(ref, got, strict=True))
            print(f"{label:<16}{name:<16}{ms}  {ratios}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
