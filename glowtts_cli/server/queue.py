"""Admission control and the synthesis thread: a bounded queue in front of one worker.

Synthesis never runs on the event loop. Each admitted request holds one slot until its response
is finished (streamed responses included) and hands its work, one sentence at a time, to a single
worker thread: torch already spreads one forward pass over the CPU cores, so one worker is the
fast choice, and it serialises the phonemizer. When every slot is taken the request is refused at
once (503 with Retry-After) instead of piling up.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_EMA_WEIGHT = 0.2
"""How fast the service-time estimate behind Retry-After follows new requests."""


class Ticket:
    """One admitted request's slot; ``release()`` it exactly once when the response is done."""

    def __init__(self, queue: SynthesisQueue) -> None:
        self._queue = queue
        self._busy = 0.0
        self._inflight: asyncio.Future[object] | None = None
        self._released = False

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the synthesis thread and wait for it."""
        loop = asyncio.get_running_loop()
        start = time.monotonic()
        future = loop.run_in_executor(self._queue.executor, fn)
        self._inflight = future  # type: ignore[assignment]
        try:
            return await asyncio.shield(future)
        finally:
            self._busy += time.monotonic() - start

    def release(self) -> None:
        """Give the slot back once no work of this request is left on the thread (idempotent).

        A client that hangs up mid-sentence cancels the wait, not the sentence: the slot stays
        taken until the thread is done with it, so the bound holds.
        """
        if self._released:
            return
        self._released = True
        if self._inflight is not None and not self._inflight.done():
            self._inflight.add_done_callback(self._settle)
        else:
            self._queue._finished(self._busy)

    def _settle(self, future: asyncio.Future[object]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved: nobody awaits it any more
        self._queue._finished(self._busy)


class SynthesisQueue:
    """At most ``1 + max_waiting`` requests are in the server at once; the rest get 503."""

    def __init__(self, *, max_waiting: int) -> None:
        if max_waiting < 0:
            raise ValueError("max_waiting must be >= 0")
        self.capacity = 1 + max_waiting
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glowtts-synth")
        self.active = 0
        self.refused = 0
        self._service_seconds = 1.0

    def try_admit(self) -> Ticket | None:
        """A ticket, or None when the queue is full (call from the event loop thread only)."""
        if self.active >= self.capacity:
            self.refused += 1
            return None
        self.active += 1
        return Ticket(self)

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue's length times the mean service time."""
        return max(1, min(120, math.ceil(self._service_seconds * self.active)))

    def _finished(self, busy: float) -> None:
        self.active -= 1
        self._service_seconds += _EMA_WEIGHT * (busy - self._service_seconds)

    def close(self) -> None:
        """Stop the worker; queued work that has not started is dropped."""
        self.executor.shutdown(wait=False, cancel_futures=True)
