"""Relative multi-head attention against slow loop references; the feed-forward net's masking."""

from __future__ import annotations

import pytest
import torch

from glowtts_cli.model.attention import FeedForward, RelativeMultiHeadAttention
from tests.reference.naive_attention import naive_attention, naive_relative_attention


def _masks(lengths: list[int], t: int) -> tuple[torch.Tensor, torch.Tensor]:
    x_mask = (torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]).float().unsqueeze(1)
    return x_mask, x_mask.unsqueeze(2) * x_mask.unsqueeze(-1)  # [B, 1, T], [B, 1, T, T]


def _attention(window: int | None, block: int | None = None) -> RelativeMultiHeadAttention:
    module = RelativeMultiHeadAttention(8, n_heads=2, window_size=window, block_length=block).eval()
    for conv in (module.conv_q, module.conv_k, module.conv_v, module.conv_o):
        torch.nn.init.normal_(conv.bias, std=0.1)
    return module


def test_zeroed_relative_tables_equal_plain_attention() -> None:
    module = _attention(window=2)
    assert module.emb_rel_k is not None and module.emb_rel_v is not None
    with torch.no_grad():
        module.emb_rel_k.zero_()
        module.emb_rel_v.zero_()
        x_mask, attn_mask = _masks([6, 4], 6)
        x = torch.randn(2, 8, 6) * x_mask
        torch.testing.assert_close(module(x, attn_mask), naive_attention(module, x, attn_mask))


@pytest.mark.parametrize(
    ("window", "block", "t"),
    [(2, None, 7), (4, None, 3), (1, None, 1), (None, None, 5), (3, 1, 6)],
    ids=["pad-branch", "slice-branch", "single-token", "no-window", "block-band"],
)
def test_relative_attention_equals_loop_reference(
    window: int | None, block: int | None, t: int
) -> None:
    module = _attention(window, block)
    x_mask, attn_mask = _masks([t, max(1, t - 2)], t)
    x = torch.randn(2, 8, t) * x_mask
    with torch.no_grad():
        ours = module(x, attn_mask) * x_mask
        ref = naive_relative_attention(module, x, attn_mask) * x_mask
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)


def test_relative_tables_are_shared_across_heads_and_sized_by_window() -> None:
    module = RelativeMultiHeadAttention(12, n_heads=3, window_size=4)
    assert module.emb_rel_k is not None and module.emb_rel_k.shape == (1, 9, 4)
    assert module.emb_rel_v is not None and module.emb_rel_v.shape == (1, 9, 4)


def test_padded_keys_get_no_weight() -> None:
    """Changing padded positions of the input does not change valid outputs."""
    module = _attention(window=2)
    x_mask, attn_mask = _masks([3], 6)
    x = torch.randn(1, 8, 6)
    noisy = x + 5 * torch.randn(1, 8, 6) * (1 - x_mask)
    with torch.no_grad():
        torch.testing.assert_close(module(x, attn_mask)[..., :3], module(noisy, attn_mask)[..., :3])


def test_feed_forward_masks_and_keeps_shape() -> None:
    ffn = FeedForward(8, filter_channels=16, kernel_size=3)
    x_mask, _ = _masks([4, 6], 6)
    x = torch.randn(2, 8, 6)
    out = ffn(x, x_mask)
    assert out.shape == (2, 8, 6)
    assert torch.all(out[0, :, 4:] == 0)
    # Padded input frames never reach valid outputs (the input is masked before each conv).
    torch.testing.assert_close(out[0, :, :4], ffn(x * x_mask, x_mask)[0, :, :4])
