"""Stopping a training loop cleanly: SIGINT/SIGTERM mean "stop after this step" (and save).

Used by both loops (``Trainer``, ``VocoderTrainer``); under torchrun every process stops after
the same step, since a signal may reach only some of them first.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import torch

from glowtts_cli.train.distributed import any_process


class StopFlag:
    """Turns SIGINT/SIGTERM into "stop after this step" (a second Ctrl-C stops at once).

    A context manager: the previous handlers come back on exit. Off the main thread signals
    are left alone (the flag then never turns on)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopFlag:
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._previous.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def agreed(self, world_size: int, device: torch.device) -> bool:
        """Whether to stop now: on every process once any of them was asked (under DDP)."""
        if world_size > 1:
            return any_process(self.requested, device)
        return self.requested
