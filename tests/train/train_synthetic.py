"""Synthetic training data for the training tests: a "tone language" and prepared-dataset writers.

In the tone language every token id has its own fixed mel pattern and its own fixed duration, so
a clip's true alignment is known: token ``k`` occupies ``DURATIONS[k]`` consecutive frames showing
``pattern(k)`` (plus a little noise). A model that learns the data must find these durations with
its alignment search and predict them with its duration predictor.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from glowtts_cli.config import AudioConfig, ModelConfig, TextConfig, VoiceConfig
from glowtts_cli.data.dataset import Batch, Sample, collate
from glowtts_cli.data.prepare import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    PREPARED_DIR,
    PreparedDataset,
    PreparedUtterance,
)


def tone_patterns(n_tokens: int, n_mels: int, *, level: float = 2.0) -> np.ndarray:
    """``[n_tokens + 1, n_mels]`` patterns (row 0 unused: the pad id), pairwise far apart.

    Rows of a Sylvester-Hadamard matrix scaled to +-``level``: any two differ in exactly half
    of the bins, by ``2 * level`` each; far more than the noise the clips get. ``n_mels`` must be
    a power of two greater than ``n_tokens``.
    """
    if n_mels & (n_mels - 1) or n_tokens >= n_mels:
        raise ValueError(f"n_mels ({n_mels}) must be a power of two > n_tokens ({n_tokens})")
    hadamard = np.ones((1, 1))
    while hadamard.shape[0] < n_mels:
        hadamard = np.block([[hadamard, hadamard], [hadamard, -hadamard]])
    patterns = np.zeros((n_tokens + 1, n_mels), dtype=np.float32)
    patterns[1:] = level * hadamard[1 : n_tokens + 1]  # row 0 (all ones) is left out too
    return patterns


def tone_sentence(
    rng: np.random.Generator, n_tokens: int, length: int, durations: Sequence[int]
) -> list[int]:
    """``length`` token ids in 1..n_tokens, no token twice in a row, an even number of frames.

    A repeat would make the boundary between the two copies invisible in the mel; an odd frame
    count would lose the last frame to the decoder's squeeze (n_sqz=2) and blur the planted
    duration of the last token.
    """
    while True:
        ids = [int(rng.integers(1, n_tokens + 1))]
        while len(ids) < length:
            nxt = int(rng.integers(1, n_tokens + 1))
            if nxt != ids[-1]:
                ids.append(nxt)
        if sum(durations[k] for k in ids) % 2 == 0:
            return ids


def render_tones(
    ids: Sequence[int],
    patterns: np.ndarray,
    durations: Sequence[int],
    rng: np.random.Generator,
    *,
    noise: float = 0.1,
) -> np.ndarray:
    """The mel ``[M, T_y]`` of a token sequence: each pattern held for its token's duration."""
    frames = [np.repeat(patterns[k][:, None], durations[k], axis=1) for k in ids]
    mel = np.concatenate(frames, axis=1)
    return (mel + noise * rng.standard_normal(mel.shape)).astype(np.float32)


def tone_samples(
    n: int,
    *,
    patterns: np.ndarray,
    durations: Sequence[int],
    lengths: tuple[int, int],
    seed: int,
    noise: float = 0.1,
) -> list[Sample]:
    """``n`` tone-language clips with ``lengths`` = (min, max) tokens each."""
    rng = np.random.default_rng(seed)
    n_tokens = patterns.shape[0] - 1
    out: list[Sample] = []
    for i in range(n):
        length = int(rng.integers(lengths[0], lengths[1] + 1))
        ids = tone_sentence(rng, n_tokens, length, durations)
        mel = render_tones(ids, patterns, durations, rng, noise=noise)
        out.append(Sample(f"tone{i:04d}", torch.tensor(ids), torch.from_numpy(mel), 0))
    return out


def batches(samples: Sequence[Sample], size: int) -> list[Batch]:
    """Consecutive samples collated into batches of ``size``."""
    return [collate(samples[i : i + size]) for i in range(0, len(samples), size)]


def write_prepared(
    run_dir: Path, train: Sequence[Sample], val: Sequence[Sample] = ()
) -> PreparedDataset:
    """Write samples in the prepared-dataset layout (``run_dir/prepared``) and open it."""
    folder = run_dir / PREPARED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[PreparedUtterance]] = {"train": [], "val": []}
    for split, samples in (("train", train), ("val", val)):
        for s in samples:
            name = f"{s.id}.npz"
            np.savez(folder / name, ids=s.x.numpy(), mel=s.y.numpy())
            rows[split].append(
                PreparedUtterance(s.id, name, s.speaker, int(s.x.shape[0]), int(s.y.shape[1]), s.id)
            )
    data = {
        "format_version": FORMAT_VERSION,
        "settings": {},
        "speakers": [],
        "train": [u.__dict__ for u in rows["train"]],
        "val": [u.__dict__ for u in rows["val"]],
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(data), "utf-8")
    return PreparedDataset.read(run_dir)


def voice_for(model: ModelConfig) -> VoiceConfig:
    """A voice config around ``model`` (a character table of ``n_vocab`` symbols, 0 = pad)."""
    symbols = ("_", *(chr(ord("a") + i) for i in range(model.n_vocab - 1)))
    return VoiceConfig(
        name="tones",
        text=TextConfig(phonemizer="characters", symbols=symbols),
        audio=dataclasses.replace(AudioConfig(), n_mels=model.n_mels),
        model=model,
    )
