"""Learnability: trained from scratch on a tone language, the model finds the planted durations.

Every token of the tone language is its own mel pattern held for its own number of frames
(``train_helpers.DURATIONS``). Nothing tells the model those durations: it must discover them
by alignment search over its own likelihood (MAS), then learn to predict them from the text.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from glowtts_cli.data.dataset import Batch, collate
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.train.loop import compute_losses
from tests.train.train_helpers import DURATIONS, make_trainer, quiet, small_model
from tests.train.train_synthetic import tone_patterns, tone_samples, write_prepared


def _planted(batch: Batch) -> list[np.ndarray]:
    """The planted frames of each clip's tokens."""
    return [
        np.array([DURATIONS[int(t)] for t in batch.x[i, : int(batch.x_lengths[i])]])
        for i in range(batch.x.shape[0])
    ]


@torch.no_grad()
def _share_within(model: GlowTTS, batch: Batch, tolerance: int) -> tuple[float, float]:
    """Shares of tokens whose MAS frame count, and whose predicted frame count
    (``round(exp(logw))``), are within ``tolerance`` frames of the planted duration."""
    model.eval()
    try:
        out = compute_losses(model, model, batch, torch.device("cpu")).output
    finally:
        model.train()
    aligned, predicted, total = 0, 0, 0
    for i, planted in enumerate(_planted(batch)):
        n = len(planted)
        found = out.attn[i, :n].sum(-1).numpy()
        guess = np.round(torch.exp(out.logw[i, 0, :n]).numpy())
        aligned += int(np.sum(np.abs(found - planted) <= tolerance))
        predicted += int(np.sum(np.abs(guess - planted) <= tolerance))
        total += n
    return aligned / total, predicted / total


@pytest.mark.slow
@pytest.mark.parametrize("n_sqz", [1, 2])
def test_training_from_scratch_recovers_planted_durations(tmp_path: Path, n_sqz: int) -> None:
    """With n_sqz=2 the decoder folds frame pairs into channels, so a boundary inside a pair may
    land on either side of it: there the tolerance is one pair (2 frames)."""
    patterns = tone_patterns(len(DURATIONS) - 1, 16)
    clips = tone_samples(528, patterns=patterns, durations=DURATIONS, lengths=(4, 8), seed=1)
    prepared = write_prepared(tmp_path, clips[:512])
    held_out = collate(clips[512:])
    cfg = small_model()
    cfg = dataclasses.replace(cfg, decoder=dataclasses.replace(cfg.decoder, n_sqz=n_sqz))
    train = quiet(
        max_steps=150, batch_size=16, scheduler="exponential", learning_rate=5e-3, lr_decay=0.993
    )
    trainer = make_trainer(tmp_path, prepared, train, model=cfg)
    before = _share_within(trainer.raw, held_out, n_sqz)
    result = trainer.run()
    after = _share_within(trainer.raw, held_out, n_sqz)
    assert result.step == 150
    assert max(before) < 0.7, f"the untrained model already fits: {before}"
    assert after[0] >= 0.9, f"MAS found the planted durations for {after[0]:.0%} of tokens"
    assert after[1] >= 0.9, f"the duration predictor got {after[1]:.0%} of tokens right"
