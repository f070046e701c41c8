"""Flow layers: invertibility, log-determinants against autograd Jacobians, padding, DDI, caches."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from glowtts_cli.model.flows import ActNorm, AffineCoupling, InvConvNear, squeeze, unsqueeze

C, T = 8, 5
"""Tiny sizes: a Jacobian of (C * T)^2 entries."""


def _actnorm() -> nn.Module:
    flow = ActNorm(C)
    with torch.no_grad():
        flow.logs.normal_(std=0.5)
        flow.bias.normal_()
    return flow


def _coupling(*, gin: int = 0, sigmoid_scale: bool = False) -> nn.Module:
    flow = AffineCoupling(
        C,
        hidden_channels=6,
        kernel_size=3,
        dilation_rate=2,
        n_layers=3,
        gin_channels=gin,
        sigmoid_scale=sigmoid_scale,
    )
    nn.init.normal_(flow.end.weight, std=0.3)  # not the identity
    nn.init.normal_(flow.end.bias, std=0.3)
    return flow


FLOWS: dict[str, Callable[[], nn.Module]] = {
    "actnorm": _actnorm,
    "invconv": lambda: InvConvNear(C, n_split=4),
    "invconv-split8": lambda: InvConvNear(C, n_split=8),
    "coupling": _coupling,
    "coupling-sigmoid": lambda: _coupling(sigmoid_scale=True),
    "coupling-speaker": lambda: _coupling(gin=3),
}


def _g(flow: nn.Module, batch: int) -> torch.Tensor | None:
    if isinstance(flow, AffineCoupling) and flow.wn.cond_layer is not None:
        return torch.randn(batch, 3, 1, dtype=torch.float64)
    return None


def _mask(lengths: list[int], t: int = T) -> torch.Tensor:
    return (torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]).double().unsqueeze(1)


@pytest.mark.parametrize("name", list(FLOWS))
def test_round_trip_logdets_cancel_and_padding_stays_zero(name: str) -> None:
    flow = FLOWS[name]().double().eval()
    x_mask = _mask([T, 3])
    x = torch.randn(2, C, T, dtype=torch.float64) * x_mask
    g = _g(flow, 2)
    with torch.no_grad():
        z, logdet = flow(x, x_mask, g=g)
        x_back, logdet_rev = flow(z, x_mask, g=g, reverse=True)
    assert logdet.shape == logdet_rev.shape == (2,)
    torch.testing.assert_close(x_back, x)
    torch.testing.assert_close(logdet + logdet_rev, torch.zeros(2, dtype=torch.float64))
    assert torch.all(z[1, :, 3:] == 0) and torch.all(x_back[1, :, 3:] == 0)
    assert not torch.allclose(z, x)  # the layer does something


def _jacobian_logdet(
    flow: nn.Module, x: torch.Tensor, x_mask: torch.Tensor, g: torch.Tensor | None, valid: int
) -> float:
    """log|det dz/dx| over the valid frames of item 0, from autograd."""

    def on_valid(v: torch.Tensor) -> torch.Tensor:
        full = torch.cat([v, x[:, :, valid:]], 2)
        return flow(full, x_mask, g=g)[0][:, :, :valid]

    jac = torch.autograd.functional.jacobian(on_valid, x[:, :, :valid])
    n = C * valid
    return float(torch.linalg.slogdet(jac.reshape(n, n))[1])


@pytest.mark.parametrize("name", list(FLOWS))
@pytest.mark.parametrize("valid", [T, 3], ids=["full", "padded"])
def test_logdet_equals_autograd_jacobian(name: str, valid: int) -> None:
    flow = FLOWS[name]().double().eval()
    x_mask = _mask([valid])
    x = torch.randn(1, C, T, dtype=torch.float64) * x_mask
    g = _g(flow, 1)
    with torch.no_grad():
        logdet = flow(x, x_mask, g=g)[1]
    expected = _jacobian_logdet(flow, x, x_mask, g, valid)
    assert float(logdet[0]) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_squeeze_layout_round_trip_and_mask() -> None:
    x = torch.arange(2 * 3 * 6, dtype=torch.float32).view(2, 3, 6)
    x_mask = _mask([6, 4], 6).float()
    x = x * x_mask
    sq, sq_mask = squeeze(x, x_mask, 2)
    assert sq.shape == (2, 6, 3) and sq_mask.tolist() == [[[1, 1, 1]], [[1, 1, 0]]]
    # channel s * C + c of squeezed frame t is channel c of frame 2t + s
    assert torch.equal(sq[:, 4, 1], x[:, 1, 3]) and torch.equal(sq[:, 2, 2], x[:, 2, 4])
    back, back_mask = unsqueeze(sq, sq_mask, 2)
    torch.testing.assert_close(back, x)
    torch.testing.assert_close(back_mask, x_mask)
    trimmed, _ = squeeze(x[:, :, :5], x_mask[:, :, :5], 2)  # an odd T drops its last frame
    assert trimmed.shape == (2, 6, 2)


def test_ddi_gives_zero_mean_unit_variance_over_valid_frames() -> None:
    flow = ActNorm(C, ddi=True)
    x_mask = _mask([T, 2]).float()
    x = (3 + 2 * torch.randn(2, C, T)) * x_mask + 100 * (1 - x_mask)  # padding must be ignored
    z, _ = flow(x, x_mask)
    assert not flow.ddi_pending
    valid = z.transpose(0, 1)[x_mask.transpose(0, 1).expand(C, -1, -1) > 0].view(C, -1)
    torch.testing.assert_close(valid.mean(1), torch.zeros(C), atol=1e-5, rtol=0)
    torch.testing.assert_close(valid.var(1, unbiased=False), torch.ones(C), atol=1e-4, rtol=0)
    params = (flow.logs.clone(), flow.bias.clone())
    flow(torch.randn(2, C, T), x_mask)  # only the first pass initialises
    assert torch.equal(flow.logs, params[0]) and torch.equal(flow.bias, params[1])


def test_fresh_coupling_is_identity() -> None:
    flow = AffineCoupling(C, hidden_channels=6, kernel_size=3, dilation_rate=1, n_layers=2)
    x_mask = _mask([T, 3]).float()
    x = torch.randn(2, C, T) * x_mask
    z, logdet = flow(x, x_mask)
    torch.testing.assert_close(z, x)
    assert torch.equal(logdet, torch.zeros(2))


def test_invconv_mixes_the_official_channel_groups() -> None:
    """A group holds channels (half, j, k) for half in {0, 1}, k < n_split / 2."""
    flow = InvConvNear(C, n_split=4)
    x_mask = torch.ones(1, 1, 1)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v, x_mask)[0], torch.randn(1, C, 1))
    touches = jac.reshape(C, C).abs() > 0
    groups = {frozenset(torch.nonzero(row).flatten().tolist()) for row in touches}
    assert groups == {frozenset({0, 1, 4, 5}), frozenset({2, 3, 6, 7})}


def test_invconv_inverse_cache_is_a_non_persistent_buffer_and_is_dropped_on_load() -> None:
    flow = InvConvNear(C).eval()
    x_mask = torch.ones(1, 1, T)
    z = torch.randn(1, C, T)
    plain = flow(z, x_mask, reverse=True)[0]
    flow.store_inverse()
    assert flow.weight_inv.shape == (4, 4) and "weight_inv" not in flow.state_dict()
    torch.testing.assert_close(flow(z, x_mask, reverse=True)[0], plain)
    other = InvConvNear(C)
    flow.load_state_dict(other.state_dict())
    assert flow.weight_inv.numel() == 0  # stale cache gone
    torch.testing.assert_close(flow(z, x_mask, reverse=True)[0], other(z, x_mask, reverse=True)[0])


def test_invconv_initial_weight_is_a_rotation() -> None:
    w = InvConvNear(C, n_split=4).weight.detach()
    torch.testing.assert_close(w @ w.T, torch.eye(4), atol=1e-5, rtol=0)
    assert float(torch.linalg.det(w)) == pytest.approx(1.0, abs=1e-5)


def test_speaker_conditioning_changes_the_coupling() -> None:
    flow = _coupling(gin=3)
    x_mask = torch.ones(1, 1, T)
    x = torch.randn(1, C, T)
    z_a = flow(x, x_mask, g=torch.randn(1, 3, 1))[0]
    z_b = flow(x, x_mask, g=torch.randn(1, 3, 1))[0]
    assert not torch.allclose(z_a, z_b)
