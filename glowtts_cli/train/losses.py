"""Glow-TTS training losses (Kim et al. 2020, eq. 2-3 and 6), as pure functions of model outputs."""

from __future__ import annotations

import math

import torch

__all__ = ["duration_loss", "mle_loss"]


def mle_loss(
    z: torch.Tensor,
    mu_y: torch.Tensor,
    logs_y: torch.Tensor,
    logdet: torch.Tensor,
    y_mask: torch.Tensor,
) -> torch.Tensor:
    """Negative log-likelihood of the mel per frame and mel bin (the official ``mle_loss``).

    ``sum(logs + 0.5 exp(-2 logs) (z - mu)^2) - sum(logdet)``, divided by the number of valid
    (frame, bin) entries, plus the Gaussian constant ``0.5 log(2 pi)``.

    Args:
        z, mu_y, logs_y: [B, M, T_y], zero on padding. logdet: [B]. y_mask: [B, 1, T_y].

    Returns:
        A scalar tensor.
    """
    loss = torch.sum(logs_y) + 0.5 * torch.sum(torch.exp(-2 * logs_y) * (z - mu_y) ** 2)
    loss = loss - torch.sum(logdet)
    loss = loss / torch.sum(torch.ones_like(z) * y_mask)
    return loss + 0.5 * math.log(2 * math.pi)


def duration_loss(
    logw: torch.Tensor, logw_mas: torch.Tensor, x_lengths: torch.Tensor
) -> torch.Tensor:
    """Squared error of the log-durations, summed and divided by the total token count.

    Args:
        logw: [B, 1, T_x] predicted; logw_mas: [B, 1, T_x] MAS targets; both zero on padding.
        x_lengths: [B] token counts.

    Returns:
        A scalar tensor.
    """
    return torch.sum((logw - logw_mas) ** 2) / torch.sum(x_lengths)
