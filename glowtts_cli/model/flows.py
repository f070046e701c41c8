"""Invertible layers of the Glow-TTS decoder (Kim et al. 2020): squeeze, ActNorm, 1x1, coupling.

Every flow maps ``x -> z`` with ``forward(x, x_mask, g=None, reverse=False) -> (z, logdet)``;
``logdet`` is ``[B]``, ``log|det dz/dx|`` over valid frames, and is negated in reverse so that a
round trip sums to zero. The layers follow Glow (Kingma & Dhariwal 2018) with WaveGlow's WaveNet
coupling net (Prenger et al. 2019).
"""

from __future__ import annotations

import typing
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from glowtts_cli.model.layers import zero_init_

__all__ = ["ActNorm", "AffineCoupling", "InvConvNear", "WaveNet", "squeeze", "unsqueeze"]


def squeeze(
    x: torch.Tensor, x_mask: torch.Tensor, n_sqz: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold groups of ``n_sqz`` frames into channels: [B, C, T] -> [B, C * n_sqz, T // n_sqz].

    Channel ``s * C + c`` of squeezed frame ``t`` is channel ``c`` of frame ``t * n_sqz + s``. A
    trailing partial group is dropped; a squeezed frame is valid when its last frame is.

    Returns:
        (x_sqz [B, C * n_sqz, T // n_sqz] zero on padding, mask_sqz [B, 1, T // n_sqz]).
    """
    b, c, t = x.shape
    t = (t // n_sqz) * n_sqz
    x_sqz = x[:, :, :t].reshape(b, c, t // n_sqz, n_sqz)  # [B, C, T/n, n]
    x_sqz = x_sqz.permute(0, 3, 1, 2).reshape(b, c * n_sqz, t // n_sqz)  # [B, C*n, T/n]
    mask_sqz = x_mask[:, :, n_sqz - 1 : t : n_sqz]  # [B, 1, T/n]
    return x_sqz * mask_sqz, mask_sqz


def unsqueeze(
    x: torch.Tensor, x_mask: torch.Tensor, n_sqz: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of ``squeeze``: [B, C * n_sqz, T] -> [B, C, T * n_sqz]; the mask is repeated."""
    b, c, t = x.shape
    x_unsqz = x.reshape(b, n_sqz, c // n_sqz, t)  # [B, n, C/n, T]
    x_unsqz = x_unsqz.permute(0, 2, 3, 1).reshape(b, c // n_sqz, t * n_sqz)  # [B, C/n, T*n]
    mask_unsqz = x_mask.unsqueeze(-1).repeat(1, 1, 1, n_sqz).view(b, 1, t * n_sqz)  # [B, 1, T*n]
    return x_unsqz * mask_unsqz, mask_unsqz


class ActNorm(nn.Module):
    """Per-channel affine flow ``z = bias + exp(logs) * x`` with optional data-dependent init (DDI).

    With ``ddi=True`` (or after ``ddi_pending = True``) the next forward-direction call first sets
    ``logs``/``bias`` so that its own output has zero mean and unit variance per channel over valid
    frames.
    """

    def __init__(self, channels: int, *, ddi: bool = False) -> None:
        super().__init__()
        self.logs = nn.Parameter(torch.zeros(1, channels, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1))
        self.ddi_pending = ddi

    def forward(
        self,
        x: torch.Tensor,
        x_mask: torch.Tensor,
        g: torch.Tensor | None = None,
        reverse: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Args: ``x`` [B, C, T], ``x_mask`` [B, 1, T]; ``g`` unused. Returns (z, logdet [B])."""
        if self.ddi_pending and not reverse:
            self.initialize(x, x_mask)
            self.ddi_pending = False
        n_frames = torch.sum(x_mask, [1, 2])  # [B]
        logdet = torch.sum(self.logs) * n_frames  # [B]
        if reverse:
            return (x - self.bias) * torch.exp(-self.logs) * x_mask, -logdet
        return (self.bias + torch.exp(self.logs) * x) * x_mask, logdet

    @torch.no_grad()
    def initialize(self, x: torch.Tensor, x_mask: torch.Tensor) -> None:
        """Data-dependent init: statistics of ``x`` over batch and valid frames, per channel."""
        x = x.to(torch.promote_types(x.dtype, torch.float32))
        x_mask = x_mask.to(x.dtype)
        denom = torch.sum(x_mask, [0, 2])  # [1]
        mean = torch.sum(x * x_mask, [0, 2]) / denom  # [C]
        mean_sq = torch.sum(x * x * x_mask, [0, 2]) / denom  # [C]
        log_std = 0.5 * torch.log(torch.clamp_min(mean_sq - mean**2, 1e-6))  # [C]
        self.bias.copy_((-mean * torch.exp(-log_std)).view_as(self.bias))
        self.logs.copy_((-log_std).view_as(self.logs))


class InvConvNear(nn.Module):
    """Invertible 1x1 convolution mixing channels within groups of ``n_split`` (Glow, grouped).

    The channels are split into ``C / n_split`` groups and one ``[n_split, n_split]`` matrix mixes
    each group. A group takes ``n_split / 2`` channels from each half of the channels (the official
    layout): the channel index ``c`` is read as ``(half, j, k)`` with shape ``(2, C / n_split,
    n_split / 2)`` and group ``j`` holds the ``n_split`` channels ``(half, j, k)``.
    ``store_inverse()`` caches the inverse matrix in a non-persistent buffer for inference.
    """

    weight_inv: torch.Tensor

    def __init__(self, channels: int, *, n_split: int = 4) -> None:
        super().__init__()
        if n_split % 2 or channels % n_split:
            raise ValueError(f"n_split ({n_split}) must be even and divide channels ({channels})")
        self.n_split = n_split
        w = torch.linalg.qr(torch.randn(n_split, n_split))[0]  # random rotation
        # Make det(w) = +1 without a data-dependent branch (so construction works on the meta
        # device).
        w[:, 0] = w[:, 0] * torch.sign(torch.linalg.det(w))
        self.weight = nn.Parameter(w)
        self.register_buffer("weight_inv", torch.empty(0), persistent=False)

    def forward(
        self,
        x: torch.Tensor,
        x_mask: torch.Tensor,
        g: torch.Tensor | None = None,
        reverse: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Args: ``x`` [B, C, T], ``x_mask`` [B, 1, T]; ``g`` unused. Returns (z, logdet [B])."""
        b, c, t = x.shape
        n = self.n_split
        x = x.reshape(b, 2, c // n, n // 2, t).permute(0, 1, 3, 2, 4)  # [B, 2, n/2, C/n, T]
        x = x.reshape(b, n, c // n, t)  # [B, n, C/n, T]: dim 1 is the position within a group
        logdet = torch.linalg.slogdet(self.weight)[1] * (c / n) * torch.sum(x_mask, [1, 2])  # [B]
        weight = self._inverse() if reverse else self.weight
        z = F.conv2d(x, weight.view(n, n, 1, 1))  # [B, n, C/n, T]
        z = z.view(b, 2, n // 2, c // n, t).permute(0, 1, 3, 2, 4).reshape(b, c, t)  # [B, C, T]
        return z * x_mask, (-logdet if reverse else logdet)

    def _inverse(self) -> torch.Tensor:
        if self.weight_inv.numel() and not self.training:
            return self.weight_inv
        return self._compute_inverse()

    def _compute_inverse(self) -> torch.Tensor:
        w: torch.Tensor = self.weight
        # Half-precision weights are inverted in float32 (no half LU kernels; precision).
        w_full = w.float() if w.dtype in (torch.float16, torch.bfloat16) else w
        inverse: torch.Tensor = torch.linalg.inv(w_full).to(w.dtype)
        return inverse

    @torch.no_grad()
    def store_inverse(self) -> None:
        """Cache ``inv(weight)`` for reverse passes in eval mode; redo if ``weight`` changes."""
        self.weight_inv = self._compute_inverse().detach()

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        # New weights make a cached inverse stale.
        self.weight_inv = self.weight.new_empty(0)
        super()._load_from_state_dict(*args, **kwargs)


def _weight_norm_conv(
    in_channels: int, out_channels: int, kernel_size: int = 1, *, dilation: int = 1
) -> nn.Conv1d:
    """A weight-normalised Conv1d with "same" padding (weight = g * v / ||v||, norm over dims
    1..)."""
    padding = (kernel_size * dilation - dilation) // 2
    conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation, padding=padding)
    return typing.cast(nn.Conv1d, weight_norm(conv, name="weight", dim=0))


class WaveNet(nn.Module):
    """Non-causal WaveNet: gated ``tanh * sigmoid`` dilated convolutions, residual and skip paths.

    All convolutions are weight-normalised. ``g`` [B, G, 1] conditions every layer through
    ``cond_layer``. Returns the sum of the skip outputs, masked.
    """

    def __init__(
        self,
        hidden_channels: int,
        *,
        kernel_size: int,
        dilation_rate: int,
        n_layers: int,
        p_dropout: float = 0.0,
        gin_channels: int = 0,
    ) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        h = hidden_channels
        self.in_layers = nn.ModuleList(
            _weight_norm_conv(h, 2 * h, kernel_size, dilation=dilation_rate**i)
            for i in range(n_layers)
        )
        # The last layer has no residual output: only its skip half is needed.
        self.res_skip_layers = nn.ModuleList(
            _weight_norm_conv(h, 2 * h if i < n_layers - 1 else h) for i in range(n_layers)
        )
        self.cond_layer: nn.Conv1d | None = None
        if gin_channels:
            self.cond_layer = _weight_norm_conv(gin_channels, 2 * h * n_layers)
        self.drop = nn.Dropout(p_dropout)

    def forward(
        self, x: torch.Tensor, x_mask: torch.Tensor, g: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Args: ``x`` [B, H, T], ``x_mask`` [B, 1, T], ``g`` [B, G, 1]/None. Returns [B, H, T]."""
        h = self.hidden_channels
        cond = self.cond_layer(g) if (g is not None and self.cond_layer is not None) else None
        output = torch.zeros_like(x)
        last = len(self.in_layers) - 1
        for i, (in_layer, res_skip) in enumerate(
            zip(self.in_layers, self.res_skip_layers, strict=True)
        ):
            x_in = self.drop(in_layer(x))  # [B, 2H, T]
            if cond is not None:
                x_in = x_in + cond[:, 2 * h * i : 2 * h * (i + 1)]  # [B, 2H, 1] over time
            acts = torch.tanh(x_in[:, :h]) * torch.sigmoid(x_in[:, h:])  # [B, H, T]
            rs = res_skip(acts)  # [B, 2H, T] (last: [B, H, T])
            if i < last:
                x = (x + rs[:, :h]) * x_mask
                output = output + rs[:, h:]
            else:
                output = output + rs
        return output * x_mask


class AffineCoupling(nn.Module):
    """Affine coupling: the first half of the channels sets a shift and log-scale for the second.

    ``z_0 = x_0``; ``z_1 = m(x_0) + exp(logs(x_0)) * x_1`` (Glow eq. 9). ``end`` starts at zero, so
    a fresh layer is the identity. With ``sigmoid_scale`` the log-scale is ``log(1e-6 + sigmoid(s +
    2))``.
    """

    def __init__(
        self,
        channels: int,
        *,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        n_layers: int,
        p_dropout: float = 0.0,
        gin_channels: int = 0,
        sigmoid_scale: bool = False,
    ) -> None:
        super().__init__()
        self.half_channels = channels // 2
        self.sigmoid_scale = sigmoid_scale
        self.start = _weight_norm_conv(self.half_channels, hidden_channels)
        self.wn = WaveNet(
            hidden_channels,
            kernel_size=kernel_size,
            dilation_rate=dilation_rate,
            n_layers=n_layers,
            p_dropout=p_dropout,
            gin_channels=gin_channels,
        )
        self.end = nn.Conv1d(hidden_channels, 2 * self.half_channels, 1)
        # Zero init: the layer starts as the identity, which keeps early training stable.
        zero_init_(self.end)

    def forward(
        self,
        x: torch.Tensor,
        x_mask: torch.Tensor,
        g: torch.Tensor | None = None,
        reverse: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Args: ``x`` [B, C, T], ``x_mask`` [B, 1, T], ``g`` [B, G, 1] or None.

        Returns (z [B, C, T], logdet [B]).
        """
        x_0, x_1 = x[:, : self.half_channels], x[:, self.half_channels :]  # [B, C/2, T] each
        hidden = self.wn(self.start(x_0) * x_mask, x_mask, g)  # [B, H, T]
        out = self.end(hidden)  # [B, C, T]
        m, logs = out[:, : self.half_channels], out[:, self.half_channels :]
        if self.sigmoid_scale:
            logs = torch.log(1e-6 + torch.sigmoid(logs + 2))
        logdet = torch.sum(logs * x_mask, [1, 2])  # [B]
        if reverse:
            z_1 = (x_1 - m) * torch.exp(-logs) * x_mask
            return torch.cat([x_0, z_1], 1), -logdet
        z_1 = (m + torch.exp(logs) * x_1) * x_mask
        return torch.cat([x_0, z_1], 1), logdet
