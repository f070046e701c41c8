"""Multi-process training with PyTorch's own DistributedDataParallel, started by ``torchrun``.

``torchrun --nproc-per-node N -m glowtts_cli train ...`` sets RANK/WORLD_SIZE/LOCAL_RANK; the same
command then trains on N processes (NCCL on GPUs, gloo on CPUs). Only rank 0 writes files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and the exported voice."""
        return self.rank == 0


def from_environment() -> DistInfo:
    """Read torchrun's variables (single process when they are absent)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    return DistInfo(
        rank=int(os.environ["RANK"]),
        world_size=world,
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )


def process_device(info: DistInfo, device: torch.device) -> torch.device:
    """This process's device: under torchrun each process takes the GPU of its local rank.

    (``cuda`` alone would put every process on GPU 0.) An explicit ``cuda:N`` is kept.
    """
    if info.world_size <= 1 or device.type != "cuda" or device.index is not None:
        return device
    chosen = torch.device("cuda", info.local_rank)
    torch.cuda.set_device(chosen)
    return chosen


def init_process_group(info: DistInfo, device: torch.device) -> None:
    """Join the job's process group (no-op for a single process or if already joined)."""
    if info.world_size <= 1 or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)


def barrier() -> None:
    """Wait until every process gets here (no-op without a process group)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def any_process(flag: bool, device: torch.device) -> bool:
    """True on every process when ``flag`` is true on at least one (False without a group).

    Used so that all processes stop after the same step when a signal reached only some.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    value = torch.tensor(float(flag), device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def broadcast_parameters(model: torch.nn.Module) -> None:
    """Copy rank 0's parameters to every process (after a step each rank did on its own data)."""
    if not (dist.is_available() and dist.is_initialized()):
        return
    with torch.no_grad():
        for param in model.parameters():
            dist.broadcast(param.data, src=0)


def gather_objects(value: Any) -> list[Any]:
    """Every process's ``value`` (nested dicts/lists/tuples of tensors and plain values), in rank
    order; ``[value]`` without a process group.

    Tensors travel as NumPy arrays: unpickling tensors inside ``all_gather_object`` fails on
    torch 2.13 (``UntypedStorage has no attribute dtype``), NumPy arrays do not.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, _map_leaves(value, torch.Tensor, lambda t: t.cpu().numpy()))
    return [_map_leaves(v, np.ndarray, torch.from_numpy) for v in out]


def _map_leaves(value: Any, kind: type, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, kind):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_leaves(v, kind, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map_leaves(v, kind, fn) for v in value)
    return value


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Average a tensor over all processes (identity without a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    out = value.detach().clone()
    dist.all_reduce(out)
    return out / dist.get_world_size()


def wrap(model: torch.nn.Module, info: DistInfo, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around ``model`` when running under torchrun."""
    if info.world_size <= 1:
        return model
    ids = [device.index] if device.type == "cuda" and device.index is not None else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def join(device: torch.device) -> tuple[DistInfo, torch.device]:
    """This process's place in the job and its device, once it joined the process group."""
    info = from_environment()
    device = process_device(info, device)
    init_process_group(info, device)
    return info, device
