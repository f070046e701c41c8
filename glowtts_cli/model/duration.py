"""Duration predictor: log-durations per token from the (detached) text-encoder states.

Kim et al. 2020, section 3.2 (eq. 6): trained with an MSE against the MAS durations, with a
stop-gradient so that the duration loss never shapes the encoder.
"""

from __future__ import annotations

import torch
from torch import nn

from glowtts_cli.config import DurationConfig
from glowtts_cli.model.layers import LayerNorm

__all__ = ["DurationPredictor"]


class DurationPredictor(nn.Module):
    """2 x [Conv1d -> ReLU -> LayerNorm -> Dropout] -> 1x1 Conv1d to one log-duration per token.

    In a multi-speaker model the speaker embedding ``g`` is concatenated to the encoder states along
    the channels (as the official code does), so its input has ``in_channels + gin_channels``
    channels.
    """

    def __init__(self, cfg: DurationConfig, *, in_channels: int, gin_channels: int = 0) -> None:
        super().__init__()
        f, k = cfg.filter_channels, cfg.kernel_size
        self.conv_1 = nn.Conv1d(in_channels + gin_channels, f, k, padding=k // 2)
        self.norm_1 = LayerNorm(f)
        self.conv_2 = nn.Conv1d(f, f, k, padding=k // 2)
        self.norm_2 = LayerNorm(f)
        self.proj = nn.Conv1d(f, 1, 1)
        self.drop = nn.Dropout(cfg.p_dropout)

    def forward(
        self, h: torch.Tensor, x_mask: torch.Tensor, g: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Predict log-durations.

        Args:
            h: [B, C, T_x] encoder states; detached here, so no gradient reaches the encoder.
            x_mask: [B, 1, T_x] token mask.
            g: [B, G, 1] speaker embedding or None. Not detached: the duration loss trains it.

        Returns:
            logw [B, 1, T_x], zero on padding.
        """
        x = h.detach()
        if g is not None:
            x = torch.cat([x, g.expand(-1, -1, x.shape[-1])], 1)  # [B, C + G, T_x]
        x = self.drop(self.norm_1(torch.relu(self.conv_1(x * x_mask))))  # [B, F, T_x]
        x = self.drop(self.norm_2(torch.relu(self.conv_2(x * x_mask))))  # [B, F, T_x]
        logw: torch.Tensor = self.proj(x * x_mask) * x_mask  # [B, 1, T_x]
        return logw
