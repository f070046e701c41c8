"""Slow, obviously correct self-attention references: loops over batch, heads and positions.

Used to check ``glowtts_cli.model.attention.RelativeMultiHeadAttention``; never shipped.
"""

from __future__ import annotations

import math

import torch

from glowtts_cli.model.attention import RelativeMultiHeadAttention


def naive_relative_attention(
    module: RelativeMultiHeadAttention, x: torch.Tensor, attn_mask: torch.Tensor
) -> torch.Tensor:
    """Self-attention with relative key/value embeddings, one (query, key) pair at a time.

    ``score(i, j) = (q_i . k_j + q_i . ek[j - i]) / sqrt(D)`` and
    ``out_i = sum_j p(i, j) (v_j + ev[j - i])``, where the relative terms exist only for
    ``|j - i| <= window`` (else 0); masked or out-of-band pairs score -1e4.

    Args:
        module: supplies the projections, relative tables, window and block length (eval mode).
        x: [B, C, T]; attn_mask: [B, 1, T, T].

    Returns:
        [B, C, T].
    """
    b, c, t = x.shape
    h, d = module.n_heads, module.head_channels
    w = module.window_size
    q = module.conv_q(x).view(b, h, d, t)
    k = module.conv_k(x).view(b, h, d, t)
    v = module.conv_v(x).view(b, h, d, t)
    out = torch.zeros(b, h, d, t, dtype=x.dtype)
    for bi in range(b):
        for hi in range(h):
            for i in range(t):
                scores = []
                for j in range(t):
                    s = torch.dot(q[bi, hi, :, i], k[bi, hi, :, j])
                    if w is not None and abs(j - i) <= w:
                        assert module.emb_rel_k is not None
                        s = s + torch.dot(q[bi, hi, :, i], module.emb_rel_k[0, j - i + w])
                    s = s / math.sqrt(d)
                    blocked = module.block_length is not None and abs(i - j) > module.block_length
                    if attn_mask[bi, 0, i, j] == 0 or blocked:
                        s = torch.tensor(-1e4, dtype=x.dtype)
                    scores.append(s)
                p = torch.softmax(torch.stack(scores), 0)
                for j in range(t):
                    value = v[bi, hi, :, j]
                    if w is not None and abs(j - i) <= w:
                        assert module.emb_rel_v is not None
                        value = value + module.emb_rel_v[0, j - i + w]
                    out[bi, hi, :, i] += p[j] * value
    result: torch.Tensor = module.conv_o(out.reshape(b, c, t))
    return result


def naive_attention(
    module: RelativeMultiHeadAttention, x: torch.Tensor, attn_mask: torch.Tensor
) -> torch.Tensor:
    """Plain scaled dot-product attention (no relative terms) with the module's projections.

    ``softmax(Q K^T / sqrt(D), masked with -1e4) V`` per head, then ``conv_o``.
    [B, C, T] -> [B, C, T].
    """
    b, c, t = x.shape
    h, d = module.n_heads, module.head_channels
    q = module.conv_q(x).view(b, h, d, t).transpose(2, 3)
    k = module.conv_k(x).view(b, h, d, t).transpose(2, 3)
    v = module.conv_v(x).view(b, h, d, t).transpose(2, 3)
    scores = q @ k.transpose(2, 3) / math.sqrt(d)
    scores = torch.where(attn_mask == 0, torch.full_like(scores, -1e4), scores)
    out = torch.softmax(scores, -1) @ v  # [B, H, T, D]
    result: torch.Tensor = module.conv_o(out.transpose(2, 3).reshape(b, c, t))
    return result
