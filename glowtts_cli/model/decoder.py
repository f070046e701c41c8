"""Flow decoder: squeeze -> n_blocks x [ActNorm, InvConvNear, AffineCoupling] -> unsqueeze.

The invertible map between mel frames ``y`` and latents ``z`` of Glow-TTS (Kim et al. 2020, section
3.3, eq. 1-2): forward for the training likelihood, reverse for synthesis.
"""

from __future__ import annotations

import torch
from torch import nn

from glowtts_cli.config import DecoderConfig
from glowtts_cli.model.flows import ActNorm, AffineCoupling, InvConvNear, squeeze, unsqueeze

__all__ = ["FlowDecoder"]


class FlowDecoder(nn.Module):
    """The whole flow: mel ``[B, M, T_y]`` <-> latent ``[B, M, T_y]``, with a ``[B]`` logdet.

    ``flows[3k]`` is an ActNorm, ``flows[3k + 1]`` an InvConvNear and ``flows[3k + 2]`` an affine
    coupling, all on ``M * n_sqz`` channels at ``T_y / n_sqz`` steps. ``T_y`` must be a multiple of
    ``n_sqz``.
    """

    def __init__(self, cfg: DecoderConfig, *, n_mels: int, gin_channels: int = 0) -> None:
        super().__init__()
        self.n_sqz = cfg.n_sqz
        c = n_mels * cfg.n_sqz
        flows: list[nn.Module] = []
        for _ in range(cfg.n_blocks):
            flows.append(ActNorm(c))
            flows.append(InvConvNear(c, n_split=cfg.n_split))
            flows.append(
                AffineCoupling(
                    c,
                    hidden_channels=cfg.hidden_channels,
                    kernel_size=cfg.kernel_size,
                    dilation_rate=cfg.dilation_rate,
                    n_layers=cfg.n_layers,
                    p_dropout=cfg.p_dropout,
                    gin_channels=gin_channels,
                    sigmoid_scale=cfg.sigmoid_scale,
                )
            )
        self.flows = nn.ModuleList(flows)

    def forward(
        self,
        x: torch.Tensor,
        x_mask: torch.Tensor,
        g: torch.Tensor | None = None,
        reverse: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the flow (``y -> z``, or ``z -> y`` with ``reverse``).

        Args:
            x: [B, M, T_y] mel frames (or latents when ``reverse``); T_y a multiple of n_sqz.
            x_mask: [B, 1, T_y] frame mask.
            g: [B, G, 1] speaker embedding or None.
            reverse: run the inverse map.

        Returns:
            (out [B, M, T_y] zero on padding, logdet [B]: log|det d out / d x|, summed over the
            flows).
        """
        if x.shape[-1] % self.n_sqz:
            raise ValueError(f"T_y ({x.shape[-1]}) must be a multiple of n_sqz ({self.n_sqz})")
        x, mask = squeeze(x, x_mask, self.n_sqz)  # [B, M * n_sqz, T_y / n_sqz]
        logdet = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
        for flow in reversed(self.flows) if reverse else self.flows:
            x, flow_logdet = flow(x, mask, g=g, reverse=reverse)
            logdet = logdet + flow_logdet
        x, _ = unsqueeze(x, mask, self.n_sqz)  # [B, M, T_y]
        return x, logdet

    def set_ddi(self, enabled: bool = True) -> None:
        """Arm (or disarm) data-dependent init: the next forward pass initialises every ActNorm."""
        for flow in self.flows:
            if isinstance(flow, ActNorm):
                flow.ddi_pending = enabled

    def store_inverse(self) -> None:
        """Cache every InvConvNear inverse for inference (call after loading weights)."""
        for flow in self.flows:
            if isinstance(flow, InvConvNear):
                flow.store_inverse()
