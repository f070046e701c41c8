"""The whole flow decoder: round trip, Jacobian logdet, padding, DDI, weight-norm folding."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from glowtts_cli.config import DecoderConfig
from glowtts_cli.model.decoder import FlowDecoder
from glowtts_cli.model.flows import ActNorm, AffineCoupling
from glowtts_cli.weight_norm import fold_weight_norm

M = 4
"""Mel bins: with n_sqz 2 the flows see 8 channels."""


def _decoder(*, gin: int = 0, ddi: bool = False) -> FlowDecoder:
    cfg = DecoderConfig(
        hidden_channels=8, kernel_size=3, n_blocks=2, n_layers=2, p_dropout=0.0, n_split=4, n_sqz=2
    )
    decoder = FlowDecoder(cfg, n_mels=M, gin_channels=gin)
    for flow in decoder.flows:  # move every layer away from its identity init
        if isinstance(flow, AffineCoupling):
            nn.init.normal_(flow.end.weight, std=0.2)
        if isinstance(flow, ActNorm) and not ddi:
            with torch.no_grad():
                flow.logs.normal_(std=0.3)
                flow.bias.normal_(std=0.3)
    return decoder.eval()


def _mask(lengths: list[int], t: int) -> torch.Tensor:
    return (torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]).float().unsqueeze(1)


@pytest.mark.parametrize("gin", [0, 3])
def test_round_trip_and_padding(gin: int) -> None:
    decoder = _decoder(gin=gin)
    y_mask = _mask([8, 4, 6], 8)
    y = torch.randn(3, M, 8) * y_mask
    g = torch.randn(3, gin, 1) if gin else None
    with torch.no_grad():
        z, logdet = decoder(y, y_mask, g=g)
        y_back, logdet_rev = decoder(z, y_mask, g=g, reverse=True)
    assert z.shape == y.shape and logdet.shape == (3,)
    torch.testing.assert_close(y_back, y, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(logdet + logdet_rev, torch.zeros(3), atol=1e-4, rtol=0)
    assert torch.all(z * (1 - y_mask) == 0) and torch.all(y_back * (1 - y_mask) == 0)


def test_logdet_equals_autograd_jacobian() -> None:
    decoder = _decoder(gin=2).double()
    y_mask = _mask([6], 6).double()
    g = torch.randn(1, 2, 1, dtype=torch.float64)
    y = torch.randn(1, M, 6, dtype=torch.float64)
    with torch.no_grad():
        logdet = decoder(y, y_mask, g=g)[1]
    jac = torch.autograd.functional.jacobian(lambda v: decoder(v, y_mask, g=g)[0], y)
    expected = torch.linalg.slogdet(jac.reshape(M * 6, M * 6))[1]
    assert float(logdet[0]) == pytest.approx(float(expected), rel=1e-9)


def test_batch_items_match_items_alone() -> None:
    decoder = _decoder()
    lengths = [8, 4, 6]
    y_mask = _mask(lengths, 8)
    y = torch.randn(3, M, 8) * y_mask
    with torch.no_grad():
        z, logdet = decoder(y, y_mask)
        for b, n in enumerate(lengths):
            z_b, logdet_b = decoder(y[b : b + 1, :, :n], torch.ones(1, 1, n))
            torch.testing.assert_close(z[b : b + 1, :, :n], z_b, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(logdet[b : b + 1], logdet_b, atol=1e-5, rtol=1e-5)


def test_odd_length_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of n_sqz"):
        _decoder()(torch.randn(1, M, 5), torch.ones(1, 1, 5))


def test_set_ddi_initialises_every_actnorm_on_the_next_pass() -> None:
    decoder = _decoder(ddi=True)
    decoder.set_ddi(True)
    y_mask = _mask([8, 6], 8)
    before = [p.clone() for n, p in decoder.named_parameters() if n.endswith(("logs", "bias"))]
    with torch.no_grad():
        decoder(torch.randn(2, M, 8) * y_mask, y_mask)
    actnorms = [f for f in decoder.flows if isinstance(f, ActNorm)]
    assert all(not f.ddi_pending for f in actnorms)
    assert all(torch.any(f.logs != 0) for f in actnorms)
    after = [p for n, p in decoder.named_parameters() if n.endswith(("logs", "bias"))]
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_fold_weight_norm_keeps_outputs_and_plain_keys() -> None:
    decoder = _decoder(gin=3)
    y_mask = _mask([8, 6], 8)
    y = torch.randn(2, M, 8) * y_mask
    g = torch.randn(2, 3, 1)
    with torch.no_grad():
        before = decoder(y, y_mask, g=g)
        fold_weight_norm(decoder)
        decoder.store_inverse()
        after = decoder(y, y_mask, g=g)
        generated = decoder(after[0], y_mask, g=g, reverse=True)[0]
    torch.testing.assert_close(after[0], before[0])
    torch.testing.assert_close(after[1], before[1])
    torch.testing.assert_close(generated, y, atol=1e-5, rtol=1e-5)
    keys = list(decoder.state_dict())
    assert not any("parametrizations" in k for k in keys)
    assert "flows.2.wn.cond_layer.weight" in keys and "flows.2.start.weight" in keys
