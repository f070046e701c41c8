"""Self-attention with windowed relative positions (keys and values), and the conv feed-forward net.

Relative positions as in Shaw et al. 2018: learned key and value embeddings for offsets ``-w..w``
(shared by all heads), zero outside the window; this is the text encoder of Glow-TTS (Kim et al.
2020, appendix A.1).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["FeedForward", "RelativeMultiHeadAttention", "relative_offsets"]

MASK_FILL = -1e4
"""Score given to masked-out keys (the official value; -inf would make fully padded rows NaN)."""


def relative_offsets(
    length: int, window: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Table index and validity of every (query i, key j) pair.

    Returns:
        index [T, T] int64, ``clamp(j - i + window, 0, 2 * window)``, and inside [T, T] bool,
        ``|j - i| <= window`` (pairs outside the window get no relative embedding).
    """
    pos = torch.arange(length, device=device)
    offset = pos.unsqueeze(0) - pos.unsqueeze(1)  # [T, T]: offset[i, j] = j - i
    inside = offset.abs() <= window
    index = (offset + window).clamp(0, 2 * window)
    return index, inside


class RelativeMultiHeadAttention(nn.Module):
    """Self-attention over ``[B, C, T]`` with 1x1-conv projections and relative embeddings.

    ``emb_rel_k``/``emb_rel_v`` are ``[1, 2w + 1, D]``: one table shared by the heads. Masked scores
    are filled with -1e4; ``block_length`` additionally restricts attention to a band ``|i - j| <=
    block_length``. Self-attention only (queries and keys come from the same sequence).
    """

    def __init__(
        self,
        channels: int,
        *,
        n_heads: int,
        window_size: int | None = None,
        p_dropout: float = 0.0,
        block_length: int | None = None,
    ) -> None:
        super().__init__()
        if channels % n_heads:
            raise ValueError(f"channels ({channels}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.head_channels = channels // n_heads
        self.window_size = window_size
        self.block_length = block_length
        self.conv_q = nn.Conv1d(channels, channels, 1)
        self.conv_k = nn.Conv1d(channels, channels, 1)
        self.conv_v = nn.Conv1d(channels, channels, 1)
        self.conv_o = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(p_dropout)
        self.emb_rel_k: nn.Parameter | None = None
        self.emb_rel_v: nn.Parameter | None = None
        if window_size is not None:
            std = self.head_channels**-0.5
            shape = (1, 2 * window_size + 1, self.head_channels)
            self.emb_rel_k = nn.Parameter(torch.randn(shape) * std)
            self.emb_rel_v = nn.Parameter(torch.randn(shape) * std)
        for conv in (self.conv_q, self.conv_k, self.conv_v):
            nn.init.xavier_uniform_(conv.weight)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
        """Args: ``x`` [B, C, T], ``attn_mask`` [B, 1, T, T] (1 = query i may attend to key j).

        Returns [B, C, T]. Rows of padded queries are garbage; the caller re-applies its mask.
        """
        b, c, t = x.shape
        h, d = self.n_heads, self.head_channels
        q = self.conv_q(x).view(b, h, d, t).transpose(2, 3)  # [B, H, T, D]
        k = self.conv_k(x).view(b, h, d, t).transpose(2, 3)  # [B, H, T, D]
        v = self.conv_v(x).view(b, h, d, t).transpose(2, 3)  # [B, H, T, D]
        scale = math.sqrt(d)
        scores = torch.matmul(q, k.transpose(-2, -1)) / scale  # [B, H, T, T]
        if self.emb_rel_k is not None:
            scores = scores + self._relative_logits(q) / scale
        scores = scores.masked_fill(attn_mask == 0, MASK_FILL)
        if self.block_length is not None:
            band = torch.ones_like(scores).triu(-self.block_length).tril(self.block_length)
            scores = scores.masked_fill(band == 0, MASK_FILL)
        p_attn = self.drop(torch.softmax(scores, dim=-1))  # [B, H, T, T]
        out = torch.matmul(p_attn, v)  # [B, H, T, D]
        if self.emb_rel_v is not None:
            out = out + self._relative_values(p_attn)
        out = out.transpose(2, 3).reshape(b, c, t)  # [B, C, T]
        result: torch.Tensor = self.conv_o(out)  # [B, C, T]
        return result

    def _relative_logits(self, q: torch.Tensor) -> torch.Tensor:
        """``q_i . e_k[j - i]`` for every pair, 0 outside the window. [B, H, T, T]."""
        assert self.emb_rel_k is not None and self.window_size is not None
        t = q.shape[2]
        # Scores against the 2w+1 table rows only, then placed at their key positions.
        per_offset = torch.matmul(q, self.emb_rel_k.transpose(-2, -1))  # [B, H, T, 2w+1]
        index, inside = relative_offsets(t, self.window_size, q.device)
        gathered = torch.gather(per_offset, 3, index.expand(*q.shape[:2], t, t))  # [B, H, T, T]
        return gathered * inside.to(q.dtype)

    def _relative_values(self, p_attn: torch.Tensor) -> torch.Tensor:
        """``sum_j p[i, j] e_v[j - i]`` over the window. [B, H, T, T] -> [B, H, T, D]."""
        assert self.emb_rel_v is not None and self.window_size is not None
        w = self.window_size
        b, h, t, _ = p_attn.shape
        # p_by_offset[..., i, r] = p[..., i, i + r - w], 0 where that key does not exist.
        offsets = torch.arange(2 * w + 1, device=p_attn.device) - w  # [2w+1]
        keys = torch.arange(t, device=p_attn.device).unsqueeze(1) + offsets  # [T, 2w+1]
        exists = (keys >= 0) & (keys < t)
        p_by_offset = torch.gather(p_attn, 3, keys.clamp(0, t - 1).expand(b, h, t, 2 * w + 1))
        p_by_offset = p_by_offset * exists.to(p_attn.dtype)  # [B, H, T, 2w+1]
        return torch.matmul(p_by_offset, self.emb_rel_v)  # [B, H, T, D]


class FeedForward(nn.Module):
    """The transformer's feed-forward net, with convolutions: Conv -> ReLU -> Dropout -> Conv."""

    def __init__(
        self, channels: int, *, filter_channels: int, kernel_size: int, p_dropout: float = 0.0
    ) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.conv_1 = nn.Conv1d(channels, filter_channels, kernel_size, padding=pad)
        self.conv_2 = nn.Conv1d(filter_channels, channels, kernel_size, padding=pad)
        self.drop = nn.Dropout(p_dropout)

    def forward(self, x: torch.Tensor, x_mask: torch.Tensor) -> torch.Tensor:
        """Args: ``x`` [B, C, T], ``x_mask`` [B, 1, T]. Returns [B, C, T], zero on padding."""
        x = self.drop(torch.relu(self.conv_1(x * x_mask)))  # [B, F, T]
        x = self.conv_2(x * x_mask)  # [B, C, T]
        return x * x_mask
