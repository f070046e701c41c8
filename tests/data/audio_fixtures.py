"""Tiny real audio for dataset tests: speech-like tones written with soundfile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

LETTERS_PER_SECOND = 12.0
"""Speaking rate of the clean clips' transcripts."""

_WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "runs", "far")


def speech_like(
    seconds: float, sample_rate: int, *, level: float = 0.5, pad: float = 0.2, seed: int = 0
) -> np.ndarray:
    """A voiced, syllable-modulated tone of ``seconds`` with ``pad`` s of faint noise each side."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    f0 = 110.0 + 20.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t)
    core = voiced * envelope
    core = level * core / np.max(np.abs(core))
    quiet = round(pad * sample_rate)
    noise = lambda n: 1e-4 * rng.standard_normal(n)  # noqa: E731
    return np.concatenate([noise(quiet), core, noise(quiet)]).astype(np.float32)


def transcript(speech_seconds: float, rate: float = LETTERS_PER_SECOND, seed: int = 0) -> str:
    """Words whose letter count matches ``rate`` letters per second of speech."""
    target = round(rate * speech_seconds)
    words: list[str] = []
    i = seed
    while sum(len(w) for w in words) < target:
        words.append(_WORDS[i % len(_WORDS)])
        i += 1
    text = " ".join(words)
    excess = sum(len(w) for w in words) - target
    return (text[: len(text) - excess] if excess else text).capitalize() + "."


def write(path: Path, audio: np.ndarray, sample_rate: int, subtype: str | None = None) -> Path:
    """Write audio with soundfile, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, sample_rate, subtype=subtype)
    return path


def write_clip(
    path: Path, seconds: float, sample_rate: int = 16000, *, channels: int = 1, seed: int = 0
) -> str:
    """Write a clean clip and return a transcript that fits it."""
    audio = speech_like(seconds, sample_rate, seed=seed)
    if channels > 1:
        audio = np.stack([audio] * channels, axis=1)
    write(path, audio, sample_rate)
    return transcript(seconds, seed=seed)
