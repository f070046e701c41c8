"""LayerNorm, the prenet, masks and generate_path (durations -> alignment)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from glowtts_cli.align.mas import maximum_path
from glowtts_cli.model.layers import ConvReluNorm, LayerNorm, generate_path, sequence_mask


def test_layer_norm_normalises_channels_per_frame() -> None:
    norm = LayerNorm(6)
    with torch.no_grad():
        norm.gamma.normal_()
        norm.beta.normal_()
    x = torch.randn(2, 6, 5)
    expected = F.layer_norm(x.transpose(1, 2), (6,), norm.gamma, norm.beta, eps=1e-4)
    torch.testing.assert_close(norm(x), expected.transpose(1, 2))


def test_sequence_mask() -> None:
    mask = sequence_mask(torch.tensor([2, 0, 3]), 4)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 0]]
    assert sequence_mask(torch.tensor([1, 3])).shape == (2, 3)


def test_fresh_prenet_is_identity_on_valid_frames() -> None:
    prenet = ConvReluNorm(8)
    x_mask = (torch.arange(6) < torch.tensor([[4], [6]])).float().unsqueeze(1)
    x = torch.randn(2, 8, 6)
    torch.testing.assert_close(prenet(x, x_mask), x * x_mask)


def _random_durations(gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x_lengths = torch.tensor([4, 6, 1])
    durations = torch.randint(0, 5, (3, 6), generator=gen).float()
    durations = durations * (torch.arange(6) < x_lengths[:, None])
    return durations, x_lengths


def test_generate_path_frame_counts_equal_durations() -> None:
    durations, x_lengths = _random_durations(torch.Generator().manual_seed(3))
    y_lengths = durations.sum(1).long()
    t_y = int(y_lengths.max())
    x_mask = torch.arange(6) < x_lengths[:, None]
    y_mask = torch.arange(t_y) < y_lengths[:, None]
    mask = (x_mask[:, :, None] & y_mask[:, None, :]).float()
    path = generate_path(durations, mask)
    assert torch.equal(path.sum(-1), durations)  # frames per token
    assert torch.equal(path.sum(1), y_mask.float())  # one token per valid frame
    first = (path.cumsum(-1) == 1) & (path == 1)  # each token's first frame ...
    starts = torch.cumsum(durations, 1) - durations  # ... sits at the sum of earlier durations
    for b, i in zip(*torch.nonzero(durations > 0, as_tuple=True), strict=True):
        assert int(torch.nonzero(first[b, i])[0]) == int(starts[b, i])


def test_generate_path_cuts_off_at_the_mask() -> None:
    durations = torch.tensor([[3.0, 3.0]])
    path = generate_path(durations, torch.ones(1, 2, 4))
    assert path.tolist() == [[[1, 1, 1, 0], [0, 0, 0, 1]]]


def test_mas_durations_round_trip_through_generate_path() -> None:
    gen = torch.Generator().manual_seed(11)
    x_lengths, y_lengths = torch.tensor([3, 5, 2]), torch.tensor([9, 12, 2])
    mask = (
        (torch.arange(5) < x_lengths[:, None])[:, :, None]
        & (torch.arange(12) < y_lengths[:, None])[:, None, :]
    ).float()
    path = maximum_path(torch.randn(3, 5, 12, generator=gen), mask)
    durations = path.sum(-1)  # [B, T_x]
    assert torch.equal(durations.sum(1).long(), y_lengths)
    assert torch.all(durations[torch.arange(5) < x_lengths[:, None]] >= 1)
    assert torch.equal(generate_path(durations, mask), path)
