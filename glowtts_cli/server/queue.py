"""Admission control and the synthesis thread: a bounded first-come queue in front of one worker.

Synthesis never runs on the event loop. An admitted request gets a :class:`Ticket` and hands it a
producer (an iterator of response bytes that synthesizes as it goes); one worker thread runs the
producers in admission order and passes each chunk to the event loop as soon as it exists. One
worker because torch already spreads a forward pass over the CPU cores; first come, first served
because it keeps the mean completion time low and lets a streamed text play at the worker's full
speed. A request that finds every slot taken is refused at once (503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import math
import queue
import threading
import time
from collections.abc import Iterator

from glowtts_cli.server.params import RequestError

_EMA_WEIGHT = 0.2
"""How fast the service-time estimate behind Retry-After follows new requests."""
_END = object()


class Ticket:
    """One admitted request: its slot, its producer and the chunks coming back.

    Call ``start`` once, read with ``next_chunk``, and always ``close`` (idempotent). The slot is
    given back when the worker is done with the producer, or at ``close`` if it never started.
    """

    def __init__(self, owner: SynthesisQueue, loop: asyncio.AbstractEventLoop) -> None:
        self._owner = owner
        self._loop = loop
        self._chunks: asyncio.Queue[object] = asyncio.Queue()
        self._producer: Iterator[bytes] | None = None
        self._cancelled = threading.Event()
        self._ended = False
        self._slot_held = True

    def start(self, producer: Iterator[bytes]) -> None:
        """Queue the producer for the worker (call once)."""
        if self._producer is not None:
            raise RuntimeError("a ticket runs one producer")
        self._producer = producer
        self._owner._jobs.put(self)

    async def next_chunk(self) -> bytes | None:
        """The next chunk, None at the end; re-raises the producer's exception."""
        if self._ended:
            return None
        item = await self._chunks.get()
        if item is _END:
            self._ended = True
            return None
        if isinstance(item, BaseException):
            self._ended = True
            raise item
        assert isinstance(item, bytes)
        return item

    def close(self) -> None:
        """The response is over (finished, failed or the client left): stop the producer."""
        self._cancelled.set()
        if self._producer is None:
            self._free_slot(0.0, True)

    # -- worker side -------------------------------------------------------------------------------

    def _run(self) -> None:
        """Drive the producer on the worker thread, a chunk at a time, unless the request left."""
        producer = self._producer
        assert producer is not None
        start = time.monotonic()
        outcome: object = _END
        steps = 0
        try:
            while not (self._cancelled.is_set() or self._owner._stopping.is_set()):
                steps += 1
                chunk = next(producer, _END)
                if chunk is _END:
                    break
                self._check_time(start)
                if chunk:
                    self._loop.call_soon_threadsafe(self._chunks.put_nowait, chunk)
        except BaseException as e:  # handed to the response, which turns it into an answer
            outcome = e
        finally:
            close = getattr(producer, "close", None)
            if close is not None:
                close()  # a generator left early: run its cleanup here, on its own thread
            busy = time.monotonic() - start
            try:
                self._loop.call_soon_threadsafe(self._chunks.put_nowait, outcome)
                self._loop.call_soon_threadsafe(self._free_slot, busy, steps == 0)
            except RuntimeError:  # the event loop is gone (shutdown)
                pass

    def _check_time(self, start: float) -> None:
        limit = self._owner.max_busy_seconds
        if limit is not None and time.monotonic() - start > limit:
            raise RequestError(
                f"Synthesis took longer than this server allows per request ({limit:g} s).",
                status=503,
                code="compute_time_exceeded",
                hint="Send a shorter text or speak faster; the server's limit is "
                "--max-compute-seconds.",
            )

    def _free_slot(self, busy: float, abandoned: bool) -> None:
        if self._slot_held:
            self._slot_held = False
            self._owner._finished(busy, abandoned)


class SynthesisQueue:
    """At most ``1 + max_waiting`` requests are in the server at once; the rest get 503.

    ``try_admit`` and ``retry_after`` belong to the event loop's thread.
    """

    def __init__(self, *, max_waiting: int, max_busy_seconds: float | None = None) -> None:
        if max_waiting < 0:
            raise ValueError("max_waiting must be >= 0")
        self.capacity = 1 + max_waiting
        self.max_busy_seconds = max_busy_seconds
        """A producer still running after this long is stopped between two chunks."""
        self.active = 0
        self.refused = 0
        self.abandoned = 0
        self._service_seconds = 1.0
        self._jobs: queue.SimpleQueue[Ticket | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="glowtts-synth", daemon=True)
        self._thread.start()

    def try_admit(self) -> Ticket | None:
        """A ticket, or None when every slot is taken."""
        if self.active >= self.capacity:
            self.refused += 1
            return None
        self.active += 1
        return Ticket(self, asyncio.get_running_loop())

    def retry_after(self) -> int:
        """Seconds until the admitted work is likely done (requests in x mean service time)."""
        return max(1, min(120, math.ceil(self._service_seconds * self.active)))

    def close(self) -> None:
        """Stop the worker: the running producer stops at its next chunk, queued ones at once."""
        self._stopping.set()
        self._jobs.put(None)
        self._thread.join(timeout=30)

    def _finished(self, busy: float, abandoned: bool) -> None:
        self.active -= 1
        if abandoned:  # left before its turn: nothing was synthesized, nothing to learn from
            self.abandoned += 1
        else:
            self._service_seconds += _EMA_WEIGHT * (busy - self._service_seconds)

    def _work(self) -> None:
        while (ticket := self._jobs.get()) is not None:
            ticket._run()
