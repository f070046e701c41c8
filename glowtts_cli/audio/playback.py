"""Play audio through PortAudio (sounddevice), imported lazily: servers may have no PortAudio.

``StreamPlayer`` plays chunks as they arrive; ``playing``/``play_stream`` produce them in a thread
while the earlier ones sound, so the first sentence plays while later ones are still being
synthesized. Missing PortAudio or no output device is an AudioDeviceError whose hint suggests
writing a file instead.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import types
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from glowtts_cli.errors import AudioDeviceError

_HINT = "Write a file instead with --out FILE (or -o - to pipe WAV to another program)."


def _sounddevice() -> types.ModuleType:
    try:
        import sounddevice
    except OSError as e:  # the wheel has no PortAudio on Linux
        raise AudioDeviceError(
            "Cannot play audio: the PortAudio library is not installed "
            "(Debian/Ubuntu: apt install libportaudio2).",
            hint=_HINT,
        ) from e
    module: types.ModuleType = sounddevice
    return module


class StreamPlayer:
    """An open output stream that plays float32 mono chunks in order; use as a context manager."""

    def __init__(self, sample_rate: int) -> None:
        sd = _sounddevice()
        try:
            self._stream: Any = sd.OutputStream(samplerate=sample_rate, channels=1, dtype="float32")
            self._stream.start()
        except Exception as e:  # PortAudioError and friends
            raise AudioDeviceError(f"Cannot open an audio output device: {e}", hint=_HINT) from e
        self.samples_played = 0

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        """Queue one chunk; blocks while the device buffer is full (that is the pacing)."""
        chunk = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1, 1)
        if not len(chunk):
            return
        try:
            self._stream.write(chunk)
        except Exception as e:
            raise AudioDeviceError(f"Audio playback failed: {e}", hint=_HINT) from e
        self.samples_played += len(chunk)

    def close(self, *, drain: bool = True) -> None:
        """Stop the stream: after the queued audio has played (drain) or at once."""
        try:
            if drain:
                self._stream.stop()
            else:
                self._stream.abort()
        finally:
            self._stream.close()

    def __enter__(self) -> StreamPlayer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # Ctrl-C (or any error) stops the sound at once instead of draining the buffer.
        self.close(drain=exc_type is None)


class Piece(Protocol):
    """What carries mono samples: ``glowtts_cli.Audio``, the pieces of ``Voice.stream``."""

    @property
    def samples(self) -> npt.NDArray[np.float32]: ...


P = TypeVar("P", bound=Piece)
_DONE = object()
_QUEUE_PIECES = 8
"""Pieces synthesized ahead of the player at most: memory stays flat on long texts."""


@contextlib.contextmanager
def playing(
    pieces: Iterable[P], sample_rate: int, *, stop: threading.Event | None = None
) -> Iterator[Iterator[P]]:
    """The pieces, each played as soon as it exists while a thread produces the next ones.

    Iterate what this yields to play (each piece comes back once it is queued on the device).
    On exit (Ctrl-C included) the sound stops at once, then the producer is stopped (``stop``,
    which a caller's own reader may watch too) and joined: torch must not be mid-operation in
    another thread when the interpreter shuts down (the process would abort with a C++
    "terminate called"). That waits for at most one piece. An error of the producer is raised
    in the consumer.
    """
    stop = stop if stop is not None else threading.Event()
    q: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_PIECES)
    producer = threading.Thread(target=_produce, args=(iter(pieces), q, stop), daemon=True)
    try:
        with StreamPlayer(sample_rate) as player:
            producer.start()
            yield _played(q, player)
    finally:
        stop.set()
        if producer.is_alive():
            producer.join()


def _produce(pieces: Iterator[P], q: queue.Queue[object], stop: threading.Event) -> None:
    """Produce into ``q`` until done or ``stop`` is set (the player was interrupted)."""
    try:
        for piece in pieces:
            if not _put(q, piece, stop):
                return
        _put(q, _DONE, stop)
    except BaseException as e:  # handed to the consumer, which re-raises it
        _put(q, e, stop)


def _put(q: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _played(q: queue.Queue[object], player: StreamPlayer) -> Iterator[P]:
    while (item := q.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        piece: P = item  # type: ignore[assignment]
        player.write(piece.samples)
        yield piece


class _Chunk(NamedTuple):
    samples: npt.NDArray[np.float32]


def play(samples: npt.NDArray[np.float32], sample_rate: int) -> None:
    """Play one buffer and wait until it has finished."""
    with StreamPlayer(sample_rate) as player:
        player.write(samples)


def play_stream(chunks: Iterable[npt.NDArray[np.float32]], sample_rate: int) -> int:
    """Play chunks as they are produced (in a thread, see ``playing``); returns the samples played.

    ``play_stream((a.samples for a in voice.stream(text)), voice.sample_rate)`` speaks a long
    text while it is synthesized.
    """
    played = 0
    with playing((_Chunk(c) for c in chunks), sample_rate) as pieces:
        for piece in pieces:
            played += int(np.asarray(piece.samples).size)
    return played
