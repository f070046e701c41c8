"""Training logs: ``metrics.jsonl`` always; TensorBoard events, alignment/mel images and audio
samples when the ``train`` extra (tensorboard, pillow) is installed.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from glowtts_cli.audio.io import save as save_audio

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"
EVAL_DIR = "eval"


def to_image(values: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.uint8]:
    """A 2-D array as an 8-bit grey image, low rows at the bottom (as spectrograms are drawn)."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = float(np.min(v)), float(np.max(v))
    scaled = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    return np.flipud(np.round(scaled * 255)).astype(np.uint8)


class MetricsLogger:
    """Writes scalars, images and audio of a run; silent no-op parts where a package is missing."""

    def __init__(self, run_dir: Path, *, enabled: bool = True) -> None:
        self.run_dir = run_dir
        self.enabled = enabled
        self._tb: Any = None
        if not enabled:
            return
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(log_dir=str(run_dir / "tensorboard"))
        except ImportError:
            logger.info("tensorboard is not installed; logging to %s only", METRICS_FILE)

    def scalars(self, step: int, values: dict[str, float], *, prefix: str = "train") -> None:
        """Append one JSON line and TensorBoard scalars."""
        if not self.enabled:
            return
        row = {"step": step, "split": prefix, **{k: _finite(v) for k, v in values.items()}}
        with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self._tb is not None:
            for key, value in values.items():
                self._tb.add_scalar(f"{prefix}/{key}", value, step)

    def image(self, step: int, name: str, values: npt.NDArray[np.floating[Any]]) -> None:
        """Save a 2-D array as ``eval/step_N/name.png`` (and to TensorBoard)."""
        if not self.enabled:
            return
        pixels = to_image(values)
        try:
            from PIL import Image
        except ImportError:
            return
        folder = self.run_dir / EVAL_DIR / f"step_{step:08d}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"{name}.png")
        if self._tb is not None:
            self._tb.add_image(name, pixels, step, dataformats="HW")

    def audio(self, step: int, name: str, samples: npt.NDArray[np.float32], rate: int) -> None:
        """Save ``eval/step_N/name.wav`` (and to TensorBoard)."""
        if not self.enabled:
            return
        folder = self.run_dir / EVAL_DIR / f"step_{step:08d}"
        save_audio(folder / f"{name}.wav", samples, rate)
        if self._tb is not None:
            self._tb.add_audio(name, samples[None, :], step, sample_rate=rate)

    def close(self) -> None:
        """Flush TensorBoard."""
        if self._tb is not None:
            self._tb.close()


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class StepRate:
    """Steps per second, smoothed over the last ~10 steps (``tick`` once a step)."""

    def __init__(self) -> None:
        self.rate = 0.0
        self.last = time.perf_counter()

    def tick(self) -> float:
        """Count a step; returns the smoothed rate."""
        now = time.perf_counter()
        current = 1 / max(now - self.last, 1e-6)
        self.rate = 0.9 * self.rate + 0.1 * current if self.rate else current
        self.last = now
        return self.rate
