"""Admission control and the synthesis thread: a bounded queue in front of one worker.

Synthesis never runs on the event loop. Each admitted request holds one slot until its response is
finished (streamed responses included) and hands its work to a single worker thread one sentence
at a time: torch already spreads one forward pass over the CPU cores, so one worker is the fast
choice. Work runs in admission order (the oldest request first, sentence after sentence), which
keeps the mean completion time low and lets a streamed text play at the worker's full speed. When
every slot is taken a request is refused at once (503 with Retry-After) instead of piling up.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_EMA_WEIGHT = 0.2
"""How fast the service-time estimate behind Retry-After follows new requests."""

_Job = tuple[int, int, Callable[[], Any] | None, "Future[Any] | None"]


class Ticket:
    """One admitted request's slot; ``release()`` it once its response is done."""

    def __init__(self, owner: SynthesisQueue, order: int) -> None:
        self._owner = owner
        self._order = order
        self._busy = 0.0
        self._inflight: Future[Any] | None = None
        self._released = False

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the synthesis thread (in this request's turn) and wait for it."""

        def timed() -> T:
            start = time.monotonic()
            try:
                return fn()
            finally:
                self._busy += time.monotonic() - start

        future: Future[T] = Future()
        self._inflight = future
        self._owner._submit(self._order, timed, future)
        # A cancelled wait cancels the job if it has not started; a started one runs to its end.
        return await asyncio.wrap_future(future)

    def release(self) -> None:
        """Give the slot back once no work of this request is left on the thread (idempotent).

        A client that hangs up mid-sentence cancels its waiting work, not the running sentence:
        the slot stays taken until the thread is done with it, so the bound holds.
        """
        if self._released:
            return
        self._released = True
        job = self._inflight
        if job is None or job.done():
            self._owner._finished(self._busy)
            return
        job.cancel()
        loop = asyncio.get_running_loop()
        job.add_done_callback(
            lambda _: loop.call_soon_threadsafe(self._owner._finished, self._busy)
        )


class SynthesisQueue:
    """At most ``1 + max_waiting`` requests are in the server at once; the rest get 503.

    ``try_admit``, ``retry_after`` and ticket releases belong to the event loop's thread.
    """

    def __init__(self, *, max_waiting: int) -> None:
        if max_waiting < 0:
            raise ValueError("max_waiting must be >= 0")
        self.capacity = 1 + max_waiting
        self.active = 0
        self.refused = 0
        self._service_seconds = 1.0
        self._admissions = itertools.count()
        self._jobs_made = itertools.count()
        self._jobs: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._thread = threading.Thread(target=self._work, name="glowtts-synth", daemon=True)
        self._thread.start()

    def try_admit(self) -> Ticket | None:
        """A ticket, or None when every slot is taken."""
        if self.active >= self.capacity:
            self.refused += 1
            return None
        self.active += 1
        return Ticket(self, next(self._admissions))

    def retry_after(self) -> int:
        """Seconds until the work now admitted is likely done (queue length x mean service)."""
        return max(1, min(120, math.ceil(self._service_seconds * self.active)))

    def close(self) -> None:
        """Stop the worker after its current job; jobs not started are cancelled."""
        self._jobs.put((-1, -1, None, None))
        self._thread.join(timeout=30)
        while not self._jobs.empty():
            *_, future = self._jobs.get_nowait()
            if future is not None:
                future.cancel()

    def _submit(self, order: int, fn: Callable[[], Any], future: Future[Any]) -> None:
        self._jobs.put((order, next(self._jobs_made), fn, future))

    def _finished(self, busy: float) -> None:
        self.active -= 1
        self._service_seconds += _EMA_WEIGHT * (busy - self._service_seconds)

    def _work(self) -> None:
        while True:
            _, _, fn, future = self._jobs.get()
            if fn is None or future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue  # its request went away before its turn
            try:
                result = fn()
            except BaseException as e:
                future.set_exception(e)
            else:
                future.set_result(result)
