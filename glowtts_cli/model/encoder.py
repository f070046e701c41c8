"""Text encoder: embedding -> optional prenet -> relative-position transformer -> prior statistics.

Produces the token-level prior ``N(mu_x, exp(logs_x))`` of Glow-TTS (Kim et al. 2020, section 3.1,
eq. 3) and the hidden states the duration predictor reads.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from glowtts_cli.config import EncoderConfig
from glowtts_cli.model.attention import FeedForward, RelativeMultiHeadAttention
from glowtts_cli.model.layers import ConvReluNorm, LayerNorm, sequence_mask

__all__ = ["EncoderLayer", "EncoderOutput", "TextEncoder"]


class EncoderOutput(NamedTuple):
    """What ``TextEncoder`` returns."""

    h: torch.Tensor
    """[B, C, T_x] transformer output, zero on padding (the duration predictor's input)."""
    mu_x: torch.Tensor
    """[B, M, T_x] prior means per token."""
    logs_x: torch.Tensor
    """[B, M, T_x] prior log standard deviations (all zero for a mean-only model)."""
    x_mask: torch.Tensor
    """[B, 1, T_x] token mask."""


class EncoderLayer(nn.Module):
    """One post-norm transformer layer: x = norm_1(x + attn(x)); x = norm_2(x + ffn(x))."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        c = cfg.hidden_channels
        self.attn = RelativeMultiHeadAttention(
            c,
            n_heads=cfg.n_heads,
            window_size=cfg.window_size,
            p_dropout=cfg.p_dropout,
            block_length=cfg.block_length,
        )
        self.norm_1 = LayerNorm(c)
        self.ffn = FeedForward(
            c,
            filter_channels=cfg.filter_channels,
            kernel_size=cfg.kernel_size,
            p_dropout=cfg.p_dropout,
        )
        self.norm_2 = LayerNorm(c)
        self.drop = nn.Dropout(cfg.p_dropout)

    def forward(
        self, x: torch.Tensor, x_mask: torch.Tensor, attn_mask: torch.Tensor
    ) -> torch.Tensor:
        """Args: ``x`` [B, C, T_x], ``x_mask`` [B, 1, T_x], ``attn_mask`` [B, 1, T_x, T_x].

        Returns [B, C, T_x] (padding is not re-zeroed here; the next layer masks its input).
        """
        x = x * x_mask
        x = self.norm_1(x + self.drop(self.attn(x, attn_mask)))
        out: torch.Tensor = self.norm_2(x + self.drop(self.ffn(x, x_mask)))
        return out


class TextEncoder(nn.Module):
    """Token ids to a prior over mel frames per token. The duration predictor is separate."""

    def __init__(self, cfg: EncoderConfig, *, n_vocab: int, n_mels: int) -> None:
        super().__init__()
        c = cfg.hidden_channels
        self.hidden_channels = c
        self.emb = nn.Embedding(n_vocab, c)
        # With the sqrt(c) scale in forward, embeddings start at unit variance per channel.
        nn.init.normal_(self.emb.weight, 0.0, c**-0.5)
        self.prenet: ConvReluNorm | None = None
        if cfg.prenet:
            self.prenet = ConvReluNorm(c, kernel_size=5, n_layers=3, p_dropout=0.5)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.n_layers))
        self.proj_mu = nn.Conv1d(c, n_mels, 1)
        self.proj_logs = None if cfg.mean_only else nn.Conv1d(c, n_mels, 1)

    def forward(self, x: torch.Tensor, x_lengths: torch.Tensor) -> EncoderOutput:
        """Encode tokens.

        Args: ``x`` [B, T_x] int64 token ids (padding is ignored but must hold valid ids,
            conventionally 0); ``x_lengths`` [B] int64.

        Returns ``EncoderOutput`` (h [B, C, T_x], mu_x and logs_x [B, M, T_x], x_mask [B, 1, T_x]).
        """
        h = self.emb(x) * math.sqrt(self.hidden_channels)  # [B, T_x, C]
        h = h.transpose(1, 2)  # [B, C, T_x]
        x_mask = sequence_mask(x_lengths, x.shape[1]).unsqueeze(1).to(h.dtype)  # [B, 1, T_x]
        if self.prenet is not None:
            h = self.prenet(h, x_mask)
        attn_mask = x_mask.unsqueeze(2) * x_mask.unsqueeze(-1)  # [B, 1, T_x, T_x]
        for layer in self.layers:
            h = layer(h, x_mask, attn_mask)
        h = h * x_mask
        mu_x = self.proj_mu(h) * x_mask  # [B, M, T_x]
        logs_x = torch.zeros_like(mu_x) if self.proj_logs is None else self.proj_logs(h) * x_mask
        return EncoderOutput(h=h, mu_x=mu_x, logs_x=logs_x, x_mask=x_mask)
