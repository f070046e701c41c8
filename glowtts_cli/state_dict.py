"""Weights into modules, strictly: the key and shape check, the strict loader, the safe torch.load,
the one safetensors reader and writer.

Shared by the acoustic model, the vocoders, voice folders and training checkpoints, so that every
mismatch reads the same (up to 10 missing, unexpected and misshapen keys by name), every torch
file is read with ``weights_only=True`` behind the same exceptions, and every safetensors file is
read and (atomically) written one way.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from glowtts_cli.errors import CheckpointError
from glowtts_cli.files import atomic_path
from glowtts_cli.weight_norm import WEIGHT_NORM_SUFFIXES, normalize_weight_norm_keys

__all__ = [
    "check_state_dict",
    "listed",
    "load_safetensors",
    "load_state_dict_strict",
    "load_torch_file",
    "save_safetensors",
]

_MAX_LISTED = 10
"""How many offending keys an error message names."""

_DEFAULT_HINT = "Check that the checkpoint and the model config belong together."


def listed(keys: Sequence[str]) -> str:
    """The first 10 keys, comma-separated, and how many more there are."""
    shown = ", ".join(keys[:_MAX_LISTED])
    more = len(keys) - _MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def check_state_dict(
    expected: Mapping[str, Sequence[int]],
    got: Mapping[str, Sequence[int]],
    *,
    source: str = "checkpoint",
    hint: str | None = None,
) -> None:
    """Raise ``CheckpointError`` unless ``got`` has exactly the keys and shapes of ``expected``.

    Args:
        expected: key -> shape the model needs. got: key -> shape the checkpoint holds.
        source: what the checkpoint is, for the message (a path or a description).
        hint: what to check; by default that checkpoint and config belong together.

    Raises:
        CheckpointError: naming up to 10 missing keys, 10 unexpected keys and 10 wrong shapes.
    """
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    wrong = sorted(
        f"{k} {list(got[k])} (expected {list(expected[k])})"
        for k in set(expected) & set(got)
        if list(got[k]) != list(expected[k])
    )
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} key(s): {listed(missing)}")
    if unexpected:
        problems.append(f"unexpected {len(unexpected)} key(s): {listed(unexpected)}")
    if wrong:
        problems.append(f"{len(wrong)} wrong shape(s): {listed(wrong)}")
    if problems:
        raise CheckpointError(
            f"Weights in {source} do not fit the model: " + "; ".join(problems) + ".",
            hint=hint or _DEFAULT_HINT,
        )


def load_state_dict_strict(
    module: nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    source: str = "checkpoint",
    hint: str | None = None,
) -> None:
    """Load ``state_dict`` into ``module`` after a strict key and shape check.

    Weight-norm keys are matched in either naming style. A folded module (``fold_weight_norm``)
    needs a folded state dict, and the other way round.

    Raises:
        CheckpointError: keys or shapes differ (see ``check_state_dict``), or a value is no tensor.
    """
    own = module.state_dict()
    if any(k.endswith(WEIGHT_NORM_SUFFIXES["parametrizations"]) for k in own):
        state_dict = normalize_weight_norm_keys(state_dict, style="parametrizations")
    not_tensors = sorted(k for k, v in state_dict.items() if not isinstance(v, torch.Tensor))
    if not_tensors:
        raise CheckpointError(f"{source}: these entries are not tensors: {listed(not_tensors)}.")
    check_state_dict(
        {k: tuple(v.shape) for k, v in own.items()},
        {k: tuple(v.shape) for k, v in state_dict.items()},
        source=source,
        hint=hint,
    )
    module.load_state_dict(dict(state_dict), strict=True)


def load_torch_file(path: str | Path, *, what: str = "checkpoint", hint: str | None = None) -> Any:
    """``torch.load(path, weights_only=True)`` onto the CPU: tensors and plain containers only.

    Args:
        path: the file.
        what: what the file is, for the message (``training checkpoint``).
        hint: what to do when it cannot be read.

    Raises:
        CheckpointError: the file is missing, damaged, or holds pickled objects (whose code a
            weights-only load refuses to run).
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"Cannot read {what} {path}: it does not exist.", hint=hint)
    if not path.is_file():
        raise CheckpointError(f"Cannot read {what} {path}: it is not a file.", hint=hint)
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols of foreign files
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except MemoryError:
        raise
    except Exception as e:  # the unpickler raises anything on garbage (KeyError on text)
        raise CheckpointError(f"Cannot read {what} {path}: {_why_unreadable(e)}.", hint=hint) from e


_PICKLED_GLOBAL = re.compile(r"Unsupported global: GLOBAL (\S+)")


def _why_unreadable(e: Exception) -> str:
    """Why ``torch.load`` failed, in our words: never torch's advice to load unsafely."""
    text = str(e)
    if isinstance(e, OSError) and e.strerror:
        return e.strerror[0].lower() + e.strerror[1:]
    found = _PICKLED_GLOBAL.search(text)
    if found:
        return (
            f"it holds pickled Python objects ({found[1]}), whose code a safe "
            "(weights-only) load does not run"
        )
    if "central directory" in text or "PytorchStreamReader" in text or isinstance(e, EOFError):
        return "it is truncated or damaged"
    return "it is not a PyTorch checkpoint (or it is damaged)"


def load_safetensors(path: str | Path, *, hint: str | None = None) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file, on the CPU.

    Raises:
        CheckpointError: the file is missing or is not a readable safetensors file; ``hint``
            says what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} is missing.", hint=hint)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({e}).", hint=hint) from e


def save_safetensors(
    tensors: Mapping[str, torch.Tensor],
    path: str | Path,
    *,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write ``tensors`` (detached, contiguous, on the CPU) as a safetensors file, atomically."""
    plain = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(plain, str(tmp), metadata)
