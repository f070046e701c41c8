"""Resumable training state written atomically; the last K checkpoints and the best are kept.

The state holds plain tensors, numbers, strings, lists and dicts only, so it is read back with
``torch.load(weights_only=True)``: a checkpoint cannot run code.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from glowtts_cli.errors import CheckpointError
from glowtts_cli.files import atomic_path, sweep_temporaries
from glowtts_cli.state_dict import load_torch_file

CHECKPOINT_DIR = "checkpoints"
BEST_NAME = "best.pt"
_STEP_FILE = re.compile(r"^step_(\d{8})\.pt$")
_OLD_TEMP_FILE = re.compile(r"^\.(step_\d{8}|best)\.pt\.(?P<pid>\d+)\.tmp$")
"""Temporaries of earlier versions, named after the saving process alone."""


def rng_state() -> dict[str, Any]:
    """Every random generator the loop touches, as weights-only-safe values."""
    np_state: tuple[Any, ...] = tuple(np.random.get_state(legacy=True))
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].copy()), *np_state[2:]],
        "python": _to_lists(random.getstate()),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved."""
    torch.set_rng_state(state["torch"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy(), *rest))
    random.setstate(_to_tuples(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_lists(value: Any) -> Any:
    return [_to_lists(v) for v in value] if isinstance(value, (tuple, list)) else value


def _to_tuples(value: Any) -> Any:
    return tuple(_to_tuples(v) for v in value) if isinstance(value, list) else value


def checkpoint_dir(run_dir: Path) -> Path:
    """Where a run keeps its checkpoints."""
    return run_dir / CHECKPOINT_DIR


def _atomic_save(obj: dict[str, Any], path: Path) -> None:
    """Write to a temporary name, flush it to disk, then rename: ``path`` is whole or absent."""
    try:
        with atomic_path(path) as tmp:
            torch.save(obj, tmp)
    except OSError as e:
        raise CheckpointError(
            f"Cannot write checkpoint {path}: {e.strerror or e}.",
            hint="Free disk space (or fix the folder's permissions) and run the same command "
            "again: it resumes from the last checkpoint that was written.",
        ) from e


def save_checkpoint(
    run_dir: Path, state: dict[str, Any], step: int, *, keep_last: int, best: bool = False
) -> Path:
    """Write ``step_XXXXXXXX.pt`` (and ``best.pt`` if ``best``); prune to the last ``keep_last``."""
    folder = checkpoint_dir(run_dir)
    path = folder / f"step_{step:08d}.pt"
    _atomic_save(state, path)
    if best:
        _atomic_save(state, folder / BEST_NAME)
    for old in list_checkpoints(run_dir)[:-keep_last]:
        old.unlink(missing_ok=True)
    # A run killed mid-save (kill -9, power cut) left its temporary; its pid says it is gone.
    sweep_temporaries(folder, also=_OLD_TEMP_FILE)
    return path


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Step checkpoints, oldest first."""
    folder = checkpoint_dir(run_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _STEP_FILE.match(p.name))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest step checkpoint, if any."""
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a training state safely (no unpickling of arbitrary objects)."""
    state = load_torch_file(
        path, what="training checkpoint", hint="Delete it to resume from the previous one."
    )
    if not isinstance(state, dict) or "model" not in state or "step" not in state:
        raise CheckpointError(f"{path} is not a glowtts training checkpoint.")
    return state
