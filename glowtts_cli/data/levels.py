"""Signal-level measurements for dataset checks and preparation: peak, RMS, clipping, silence trim.

All functions take mono float32 samples ``[S]`` and never modify them. Silence trimming is
energy-based: frame RMS relative to the loudest frame, so it works for any recording level.
"""

from __future__ import annotations

import math

import numpy as np

SILENCE_DB = -200.0
"""The dB value reported for all-zero audio (instead of -inf)."""


def peak(audio: np.ndarray) -> float:
    """Largest absolute sample (0.0 for empty audio)."""
    return float(np.max(np.abs(audio))) if audio.size else 0.0


def rms_dbfs(audio: np.ndarray) -> float:
    """Root-mean-square level in dB relative to full scale (a full-scale square wave is 0 dBFS)."""
    if audio.size == 0:
        return SILENCE_DB
    mean_square = float(np.mean(np.square(audio, dtype=np.float64)))
    return 10.0 * math.log10(mean_square) if mean_square > 0.0 else SILENCE_DB


def clipped_fraction(audio: np.ndarray, level: float = 0.999) -> float:
    """Fraction of samples whose magnitude reaches ``level`` (0.0 for empty audio)."""
    if audio.size == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(audio) >= level)) / audio.size


def frame_rms_db(audio: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS of each ``frame``-sample window every ``hop`` samples, in dB (``[n_frames]``).

    Audio shorter than one frame counts as a single frame. Uses a cumulative sum, so it costs
    O(S) whatever the frame size.
    """
    squares = np.square(audio, dtype=np.float64)
    if audio.size <= frame:
        starts = np.array([0])
        frame = max(audio.size, 1)
    else:
        starts = np.arange(0, audio.size - frame + 1, hop)
    cumulative = np.concatenate([[0.0], np.cumsum(squares)])
    energy = (cumulative[starts + frame] - cumulative[starts]) / frame
    with np.errstate(divide="ignore"):
        db: np.ndarray = np.maximum(10.0 * np.log10(energy), SILENCE_DB)
    return db


def speech_bounds(
    audio: np.ndarray,
    sample_rate: int,
    *,
    top_db: float = 40.0,
    frame_s: float = 0.025,
    hop_s: float = 0.010,
    margin_s: float = 0.05,
) -> tuple[int, int]:
    """[start, end) sample range holding everything within ``top_db`` of the loudest frame.

    The range is widened by ``margin_s`` on each side (so soft onsets and breath ends survive)
    and clamped to the clip. All-zero audio returns the whole clip.
    """
    if audio.size == 0:
        return 0, 0
    frame = max(1, round(frame_s * sample_rate))
    hop = max(1, round(hop_s * sample_rate))
    levels = frame_rms_db(audio, frame, hop)
    if levels.max() <= SILENCE_DB:
        return 0, audio.size
    loud = np.flatnonzero(levels >= levels.max() - top_db)
    margin = round(margin_s * sample_rate)
    start = max(0, int(loud[0]) * hop - margin)
    end = min(audio.size, int(loud[-1]) * hop + frame + margin)
    return start, end


def trim_silence(
    audio: np.ndarray, sample_rate: int, *, top_db: float = 40.0, margin_s: float = 0.05
) -> np.ndarray:
    """Drop leading and trailing silence (see :func:`speech_bounds`); returns a view."""
    start, end = speech_bounds(audio, sample_rate, top_db=top_db, margin_s=margin_s)
    return audio[start:end]
