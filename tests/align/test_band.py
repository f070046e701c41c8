"""The alignment band of fine-tuning: the duration predictor's path, scaled to each clip."""

from __future__ import annotations

import math

import torch

from glowtts_cli.align.band import OUTSIDE_BAND, band_penalty
from glowtts_cli.align.mas import maximum_path
from glowtts_cli.config import ModelConfig
from glowtts_cli.model.glow_tts import GlowTTS


def test_the_band_follows_the_scaled_durations() -> None:
    # Two tokens predicted 1 and 3 frames long; the clip has 40 frames: spans [0, 10), [10, 40).
    logw = torch.log(torch.tensor([[[1.0, 3.0, 1.0]]]))  # [1, 1, 3]; the third is padding
    x_mask = torch.tensor([[[1.0, 1.0, 0.0]]])
    penalty = band_penalty(logw, x_mask, torch.tensor([40]), 48, width=2)  # [1, 3, 48]
    inside = penalty[0] == 0
    assert penalty.shape == (1, 3, 48) and set(penalty.unique().tolist()) == {0.0, -OUTSIDE_BAND}
    assert inside[0].nonzero().flatten().tolist() == list(range(0, 12))
    assert inside[1].nonzero().flatten().tolist() == list(range(8, 42))


def test_the_search_keeps_to_the_band_and_still_finds_a_path() -> None:
    torch.manual_seed(0)
    t_x, t_y, width = 12, 60, 3
    logw = torch.randn(1, 1, t_x) * 0.5
    x_mask = torch.ones(1, 1, t_x)
    mask = torch.ones(1, t_x, t_y)
    log_p = torch.randn(1, t_x, t_y) * 20  # scores that would pull the path anywhere
    penalty = band_penalty(logw, x_mask, torch.tensor([t_y]), t_y, width)
    attn = maximum_path(log_p + penalty, mask)  # [1, T_x, T_y]
    assert torch.equal(attn.sum(1), torch.ones(1, t_y))  # every frame on exactly one token
    assert bool((attn.sum(-1) >= 1).all())  # every token at least one frame
    assert float((attn * (penalty < 0)).sum()) == 0.0  # and none outside the band
    free = maximum_path(log_p, mask)
    assert float((free * (penalty < 0)).sum()) > 0  # the scores alone would have left it
    # A band too narrow for a path (one frame for 12 tokens' worth) still yields one.
    squeezed = band_penalty(torch.full((1, 1, t_x), -9.0).index_fill(2, torch.tensor([0]), 9.0),
                            x_mask, torch.tensor([t_y]), t_y, 0)  # fmt: skip
    attn = maximum_path(log_p + squeezed, mask)
    assert torch.equal(attn.sum(1), torch.ones(1, t_y)) and bool((attn.sum(-1) >= 1).all())


def test_training_with_a_band_aligns_within_it() -> None:
    torch.manual_seed(0)
    model = GlowTTS(ModelConfig.tiny(n_vocab=10, n_mels=16))
    x = torch.randint(1, 10, (2, 7))
    x_lengths = torch.tensor([7, 5])
    y = torch.randn(2, 16, 40)
    y_lengths = torch.tensor([40, 30])
    out = model.forward_train(x, x_lengths, y, y_lengths, align_band=2)
    penalty = band_penalty(out.logw, out.x_mask, out.y_lengths, out.attn.shape[-1], 2)
    assert float((out.attn * (penalty < 0)).sum()) == 0.0
    assert math.isfinite(float(out.z.detach().sum()))
    plain = model.forward_train(x, x_lengths, y, y_lengths)
    assert not torch.equal(plain.attn, out.attn)
