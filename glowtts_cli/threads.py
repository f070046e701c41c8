"""Deliberate CPU thread settings on small shared machines (synthesis, serving, training).

torch defaults to one intra-op thread per logical CPU. On a 2-4 core machine shared with other work,
that oversubscribes the cores and a busy neighbour makes every convolution wait. The API and the
CLI (``--threads``) call :func:`set_inference_threads` once; nothing here runs at import.
"""

from __future__ import annotations

import os
from pathlib import Path

from glowtts_cli.errors import ConfigError

MAX_DEFAULT_THREADS = 4
"""Above this, the small convolutions of TTS inference gain little from more threads."""


def physical_cores() -> int:
    """Physical CPU cores this process may run on (logical CPUs if that cannot be told)."""
    logical = _usable_cpus()
    try:
        text = Path("/proc/cpuinfo").read_text("utf-8", errors="replace")
    except OSError:
        return logical
    cores: set[tuple[str, str]] = set()
    physical_id = core_id = ""
    for line in [*text.splitlines(), ""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            physical_id = value.strip()
        elif key == "core id":
            core_id = value.strip()
        elif not key and core_id:
            cores.add((physical_id, core_id))
            physical_id = core_id = ""
    return max(1, min(logical, len(cores))) if cores else logical


def default_threads() -> int:
    """min(physical cores, 4): fast without oversubscribing a shared machine."""
    return max(1, min(physical_cores(), MAX_DEFAULT_THREADS))


def set_inference_threads(n_threads: int | None = None) -> int:
    """Set torch's intra-op thread count (``None`` = :func:`default_threads`) and return it."""
    import torch

    n = default_threads() if n_threads is None else check_threads(n_threads)
    torch.set_num_threads(n)
    return n


def check_threads(n_threads: object) -> int:
    """A thread count is a whole number of at least 1; ConfigError (naming ``threads``) else."""
    if not isinstance(n_threads, int) or isinstance(n_threads, bool) or n_threads < 1:
        raise ConfigError(
            f"threads must be a whole number of at least 1, got {n_threads!r}.",
            hint="Leave it out for min(cores, 4); 1 is fastest on a busy shared machine.",
        )
    return n_threads


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
