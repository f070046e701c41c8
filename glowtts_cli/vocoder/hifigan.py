"""HiFi-GAN generator (Kong et al. 2020, "HiFi-GAN: Generative Adversarial Networks for Efficient
and High Fidelity Speech Synthesis", section 2.1): mel frames -> waveform by transposed-convolution
upsampling, each stage followed by the mean of parallel multi-receptive-field residual blocks.

Inference only: layers are plain convolutions holding already-folded weights (see
:mod:`glowtts_cli.vocoder.weights` for loading checkpoints that still carry weight norm). Parameter
names equal the official ones, so official state dicts load after folding.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from glowtts_cli.config import HiFiGANConfig

LRELU_SLOPE = 0.1
"""Leaky-ReLU slope inside the generator. The last activation uses torch's default 0.01 instead,
as the official generator does; a faithful port must keep that quirk."""


def _same_padding(kernel_size: int, dilation: int) -> int:
    return (kernel_size * dilation - dilation) // 2


class ResBlock1(nn.Module):
    """Residual block type 1: per dilation, [lrelu, dilated conv, lrelu, conv] + skip (V1, V2)."""

    def __init__(self, channels: int, *, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(
                channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d)
            )
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=_same_padding(kernel_size, 1))
            for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, S'] -> [B, C, S']``."""
        for conv1, conv2 in zip(self.convs1, self.convs2, strict=True):
            xt = conv1(F.leaky_relu(x, LRELU_SLOPE))
            xt = conv2(F.leaky_relu(xt, LRELU_SLOPE))
            x = xt + x
        return x

    @staticmethod
    def radius(kernel_size: int, dilations: tuple[int, ...]) -> int:
        """Samples of context on each side that one output sample depends on."""
        return sum((kernel_size - 1) * d // 2 + (kernel_size - 1) // 2 for d in dilations)


class ResBlock2(nn.Module):
    """Residual block type 2: per dilation, [lrelu, dilated conv] + skip (V3)."""

    def __init__(self, channels: int, *, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(
                channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d)
            )
            for d in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, S'] -> [B, C, S']``."""
        for conv in self.convs:
            x = conv(F.leaky_relu(x, LRELU_SLOPE)) + x
        return x

    @staticmethod
    def radius(kernel_size: int, dilations: tuple[int, ...]) -> int:
        """Samples of context on each side that one output sample depends on."""
        return sum((kernel_size - 1) * d // 2 for d in dilations)


class HiFiGANGenerator(nn.Module):
    """The HiFi-GAN generator with folded weights; an inference-only :class:`Vocoder`.

    It is not the training model: there is no weight norm and no discriminator. Build it from a
    :class:`HiFiGANConfig` (random weights) and fill it with ``load_state_dict`` or the loaders in
    :mod:`glowtts_cli.vocoder.weights`.
    """

    def __init__(self, cfg: HiFiGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_kernels = len(cfg.resblock_kernel_sizes)
        block = ResBlock1 if cfg.resblock == "1" else ResBlock2
        ch = cfg.upsample_initial_channel
        self.conv_pre = nn.Conv1d(cfg.n_mels, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (rate, kernel) in enumerate(
            zip(cfg.upsample_rates, cfg.upsample_kernel_sizes, strict=True)
        ):
            c_in, c_out = ch // 2**i, ch // 2 ** (i + 1)
            self.ups.append(
                nn.ConvTranspose1d(c_in, c_out, kernel, rate, padding=(kernel - rate) // 2)
            )
            for k, dilations in zip(
                cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes, strict=True
            ):
                self.resblocks.append(block(c_out, kernel_size=k, dilations=dilations))
        self.conv_post = nn.Conv1d(ch // 2 ** len(self.ups), 1, 7, padding=3)

    @property
    def hop_length(self) -> int:
        """Samples produced per mel frame."""
        return self.cfg.hop_length

    @property
    def n_mels(self) -> int:
        """Mel bands expected on input."""
        return self.cfg.n_mels

    @property
    def context_frames(self) -> int:
        """Mel frames of context on each side that make chunked output equal one-shot output."""
        return receptive_field_frames(self.cfg)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Generate a waveform.

        Args:
            mel: ``[B, M, T_y]`` natural-log mel spectrogram.

        Returns:
            ``[B, S]`` waveform in (-1, 1), S = T_y * hop_length.
        """
        x = self.conv_pre(mel)  # [B, C, T_y]
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))  # [B, C / 2^(i+1), T_y * prod(rates[:i+1])]
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            # Accumulate in the official order so float rounding matches it as closely as possible.
            xs = blocks[0](x)
            for resblock in blocks[1:]:
                xs = xs + resblock(x)
            x = xs / self.num_kernels
        x = self.conv_post(F.leaky_relu(x))  # [B, 1, S]; default slope 0.01, see LRELU_SLOPE
        return torch.tanh(x).squeeze(1)  # [B, S]

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, M, T_y]`` log-mel -> ``[B, S]`` waveform, without autograd bookkeeping."""
        with torch.inference_mode():
            wav: torch.Tensor = self(mel)
        return wav


def receptive_field_frames(cfg: HiFiGANConfig) -> int:
    """Mel frames on each side of a frame that can influence its output samples (exact).

    For every output sample n of frame 0 (0 <= n < hop), walks the interval of positions it
    depends on back through the network: conv_post (kernel 7) widens it by 3; each stage, last
    first, by the widest residual block's radius and then maps it through the transposed
    convolution, whose output j reads inputs m with m*u - p <= j <= m*u - p + k - 1; conv_pre
    widens it by 3 frames. The answer is the largest distance from frame 0 that any n reaches.
    """
    block = ResBlock1 if cfg.resblock == "1" else ResBlock2
    widest = max(
        block.radius(k, d)
        for k, d in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes, strict=True)
    )
    stages = list(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes, strict=True))
    reach = 0
    for n in range(cfg.hop_length):
        lo, hi = n - 3, n + 3  # conv_post
        for rate, kernel in reversed(stages):
            lo, hi = lo - widest, hi + widest
            pad = (kernel - rate) // 2
            lo = -((-(lo + pad - kernel + 1)) // rate)  # ceil division
            hi = (hi + pad) // rate
        lo, hi = lo - 3, hi + 3  # conv_pre
        reach = max(reach, -lo, hi)
    return reach


def parameter_count(module: nn.Module) -> int:
    """Number of scalar parameters."""
    return sum(p.numel() for p in module.parameters())
