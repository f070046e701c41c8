"""Building blocks shared by the encoder and the duration predictor, plus mask and path helpers.

Channels-first LayerNorm, the ConvReluNorm prenet, ``sequence_mask`` and ``generate_path``
(durations to a hard monotonic alignment, Kim et al. 2020, section 2.3 / eq. 8 at inference).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ConvReluNorm", "LayerNorm", "generate_path", "sequence_mask", "zero_init_"]


def zero_init_(conv: nn.Conv1d) -> None:
    """Set a convolution's weight and bias to zero (in place)."""
    nn.init.zeros_(conv.weight)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


class LayerNorm(nn.Module):
    """Layer normalisation over the channels of a ``[B, C, T]`` tensor (eps 1e-4, gamma/beta).

    Not ``nn.LayerNorm``: that one normalises the last axis, and the official checkpoints name the
    affine parameters ``gamma``/``beta``. Each time step is normalised on its own, so padding never
    leaks in.
    """

    def __init__(self, channels: int, *, eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` [B, C, T] over C; returns [B, C, T]."""
        mean = torch.mean(x, 1, keepdim=True)  # [B, 1, T]
        variance = torch.mean((x - mean) ** 2, 1, keepdim=True)  # [B, 1, T]
        x = (x - mean) * torch.rsqrt(variance + self.eps)
        return x * self.gamma.view(1, -1, 1) + self.beta.view(1, -1, 1)


class ConvReluNorm(nn.Module):
    """Residual conv prenet: n x [Conv1d -> LayerNorm -> ReLU -> Dropout] -> 1x1 projection.

    The projection starts at zero, so a fresh prenet is the identity on valid frames (the residual
    path).
    """

    def __init__(
        self,
        channels: int,
        *,
        kernel_size: int = 5,
        n_layers: int = 3,
        p_dropout: float = 0.5,
    ) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.conv_layers = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=pad) for _ in range(n_layers)
        )
        self.norm_layers = nn.ModuleList(LayerNorm(channels) for _ in range(n_layers))
        self.drop = nn.Dropout(p_dropout)
        self.proj = nn.Conv1d(channels, channels, 1)
        # Zero init: training starts from the identity and the prenet only adds what helps.
        zero_init_(self.proj)

    def forward(self, x: torch.Tensor, x_mask: torch.Tensor) -> torch.Tensor:
        """Args: ``x`` [B, C, T_x], ``x_mask`` [B, 1, T_x]. Returns [B, C, T_x], zero on padding."""
        residual = x
        for conv, norm in zip(self.conv_layers, self.norm_layers, strict=True):
            x = conv(x * x_mask)
            x = self.drop(torch.relu(norm(x)))
        x = residual + self.proj(x)
        return x * x_mask


def sequence_mask(lengths: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """Boolean mask ``[B, T]``: True where ``t < lengths[b]``.

    Args:
        lengths: [B] lengths; any real dtype (``generate_path`` passes float cumulative durations).
        max_length: T; defaults to ``lengths.max()``.
    """
    if max_length is None:
        max_length = int(lengths.max().item()) if lengths.numel() else 0
    positions = torch.arange(max_length, dtype=lengths.dtype, device=lengths.device)  # [T]
    return positions.unsqueeze(0) < lengths.unsqueeze(1)  # [B, T]


def generate_path(durations: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Hard monotonic alignment from integer-valued durations.

    Token ``i`` covers frames ``[cum[i-1], cum[i])`` where ``cum`` is the cumulative sum of
    durations; frames beyond ``T_y`` are cut off by ``mask``.

    Args:
        durations: [B, T_x] frames per token (float or int, integer valued, 0 on padding).
        mask: [B, T_x, T_y] 0/1 alignment mask (valid token and valid frame).

    Returns:
        attn [B, T_x, T_y] with ``mask``'s dtype: 1 where frame j belongs to token i.
    """
    b, t_x, t_y = mask.shape
    cum = torch.cumsum(durations, 1)  # [B, T_x]
    covered = sequence_mask(cum.reshape(b * t_x), t_y).to(mask.dtype)  # [B * T_x, T_y]
    covered = covered.view(b, t_x, t_y)  # [B, T_x, T_y]: frames before the end of token i
    # Frames before the end of token i minus frames before the end of token i-1.
    path = covered - F.pad(covered, (0, 0, 1, 0))[:, :-1]  # [B, T_x, T_y]
    return path * mask
