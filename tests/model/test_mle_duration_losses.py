"""mle_loss and duration_loss against independent formulas."""

from __future__ import annotations

import math

import pytest
import torch

from glowtts_cli.train.losses import duration_loss, mle_loss


def test_mle_loss_is_the_masked_gaussian_nll_minus_logdet_per_entry() -> None:
    gen = torch.Generator().manual_seed(2)
    y_mask = (torch.arange(6) < torch.tensor([[6], [4]])).double().unsqueeze(1)  # [2, 1, 6]
    z = torch.randn(2, 3, 6, generator=gen, dtype=torch.float64) * y_mask
    mu = torch.randn(2, 3, 6, generator=gen, dtype=torch.float64) * y_mask
    logs = 0.3 * torch.randn(2, 3, 6, generator=gen, dtype=torch.float64) * y_mask
    logdet = torch.tensor([1.5, -0.7], dtype=torch.float64)
    nll = -torch.distributions.Normal(mu, torch.exp(logs)).log_prob(z)  # [2, 3, 6]
    n_entries = 3 * (6 + 4)
    expected = ((nll * y_mask).sum() - logdet.sum()) / n_entries
    torch.testing.assert_close(mle_loss(z, mu, logs, logdet, y_mask), expected)


def test_mle_loss_of_a_standard_normal_at_its_mean_is_the_constant() -> None:
    z = torch.zeros(1, 2, 4)
    loss = mle_loss(z, z, z, torch.zeros(1), torch.ones(1, 1, 4))
    assert float(loss) == float(torch.tensor(0.5 * math.log(2 * math.pi)))


def test_duration_loss_is_squared_error_over_token_count() -> None:
    logw = torch.tensor([[[0.5, 1.0, 0.0]], [[2.0, 0.0, 0.0]]])
    target = torch.tensor([[[1.0, 1.0, 0.0]], [[0.0, 0.0, 0.0]]])
    loss = duration_loss(logw, target, torch.tensor([2, 1]))
    assert float(loss) == pytest.approx((0.25 + 0.0 + 4.0) / 3, rel=1e-6)
