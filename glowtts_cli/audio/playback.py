"""Play audio through PortAudio (sounddevice), imported lazily: servers may have no PortAudio.

``StreamPlayer`` plays chunks as they arrive, so the first sentence sounds while later ones are
still being synthesized. Missing PortAudio or no output device is an AudioDeviceError whose hint
suggests writing a file instead.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

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


def play(samples: npt.NDArray[np.float32], sample_rate: int) -> None:
    """Play one buffer and wait until it has finished."""
    play_stream([samples], sample_rate)


def play_stream(chunks: Iterable[npt.NDArray[np.float32]], sample_rate: int) -> int:
    """Play chunks as they are produced; returns the number of samples played."""
    with StreamPlayer(sample_rate) as player:
        for chunk in chunks:
            player.write(chunk)
        return player.samples_played
