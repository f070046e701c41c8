"""Glow-TTS: text encoder, duration predictor and flow decoder, aligned by alignment search.

Kim et al. 2020, "Glow-TTS: A Generative Flow for Text-to-Speech via Monotonic Alignment Search":
training maximises ``log p(y | x)`` over the most likely monotonic alignment (section 3.2, eq. 4-5);
synthesis expands the prior by predicted durations and inverts the flow (section 3.4, eq. 8).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from glowtts_cli.config import ModelConfig
from glowtts_cli.errors import ConfigError
from glowtts_cli.model.decoder import FlowDecoder
from glowtts_cli.model.duration import DurationPredictor
from glowtts_cli.model.encoder import TextEncoder
from glowtts_cli.model.layers import generate_path, sequence_mask
from glowtts_cli.weight_norm import fold_weight_norm

__all__ = ["GlowTTS", "InferOutput", "TrainOutput", "log_likelihood_matrix"]


class TrainOutput(NamedTuple):
    """What ``GlowTTS.forward_train`` returns; ``T_y`` is the input length floored to n_sqz."""

    z: torch.Tensor
    """[B, M, T_y] latents: the mel pushed through the flow."""
    mu_y: torch.Tensor
    """[B, M, T_y] prior means expanded to frames by ``attn``."""
    logs_y: torch.Tensor
    """[B, M, T_y] prior log standard deviations expanded to frames."""
    logdet: torch.Tensor
    """[B] log-determinant of the flow."""
    y_mask: torch.Tensor
    """[B, 1, T_y] frame mask (trimmed lengths)."""
    y_lengths: torch.Tensor
    """[B] int64 frame counts, floored to a multiple of n_sqz."""
    mu_x: torch.Tensor
    """[B, M, T_x] prior means per token."""
    logs_x: torch.Tensor
    """[B, M, T_x] prior log standard deviations per token (zero for mean-only models)."""
    x_mask: torch.Tensor
    """[B, 1, T_x] token mask."""
    attn: torch.Tensor
    """[B, T_x, T_y] 0/1 MAS alignment (no gradient)."""
    logw: torch.Tensor
    """[B, 1, T_x] predicted log-durations."""
    logw_mas: torch.Tensor
    """[B, 1, T_x] target log-durations ``log(1e-8 + frames per token) * x_mask`` from MAS."""


class InferOutput(NamedTuple):
    """What ``GlowTTS.infer`` returns. ``T_y`` is the longest generated length in the batch."""

    y: torch.Tensor
    """[B, M, T_y] generated log-mel frames, zero past each ``y_lengths``."""
    y_lengths: torch.Tensor
    """[B] int64 generated frame counts (multiples of n_sqz)."""
    y_mask: torch.Tensor
    """[B, 1, T_y] frame mask."""
    attn: torch.Tensor
    """[B, T_x, T_y] 0/1 alignment built from ``w_ceil``."""
    logw: torch.Tensor
    """[B, 1, T_x] predicted log-durations."""
    w_ceil: torch.Tensor
    """[B, 1, T_x] frames per token, ``ceil(exp(logw) * length_scale)`` (float; 0 on padding).
    Tokens past ``T_y`` after the trim to n_sqz lose frames in ``attn``; ``attn.sum(-1)`` gives what
    was used."""
    z: torch.Tensor
    """[B, M, T_y] the latent sample that the flow inverted."""
    mu_y: torch.Tensor
    """[B, M, T_y] prior means expanded to frames."""
    logs_y: torch.Tensor
    """[B, M, T_y] prior log standard deviations expanded to frames."""
    mu_x: torch.Tensor
    """[B, M, T_x] prior means per token."""
    logs_x: torch.Tensor
    """[B, M, T_x] prior log standard deviations per token."""
    x_mask: torch.Tensor
    """[B, 1, T_x] token mask."""
    logdet: torch.Tensor
    """[B] log-determinant of the reverse flow (``log|det dy/dz|``)."""


def log_likelihood_matrix(
    z: torch.Tensor, mu_x: torch.Tensor, logs_x: torch.Tensor
) -> torch.Tensor:
    """``log N(z_j; mu_i, exp(logs_i))`` summed over mel bins, for every token i and frame j.

    Expanded into four terms so that it costs two matmuls instead of a [B, M, T_x, T_y] tensor:
    ``-sum(0.5 log 2pi + logs) - 0.5 sum(s^-2 z^2) + sum(mu s^-2 z) - 0.5 sum(mu^2 s^-2)``.

    Args:
        z: [B, M, T_y] latents. mu_x, logs_x: [B, M, T_x] token priors.

    Returns:
        [B, T_x, T_y] log-likelihoods (the MAS scores).
    """
    inv_var = torch.exp(-2 * logs_x)  # [B, M, T_x]
    term1 = torch.sum(-0.5 * math.log(2 * math.pi) - logs_x, [1]).unsqueeze(-1)  # [B, T_x, 1]
    term2 = torch.matmul(inv_var.transpose(1, 2), -0.5 * (z**2))  # [B, T_x, T_y]
    term3 = torch.matmul((mu_x * inv_var).transpose(1, 2), z)  # [B, T_x, T_y]
    term4 = torch.sum(-0.5 * (mu_x**2) * inv_var, [1]).unsqueeze(-1)  # [B, T_x, 1]
    return term1 + term2 + term3 + term4


def _expand_by_alignment(attn: torch.Tensor, stats: torch.Tensor) -> torch.Tensor:
    """Token statistics to frames: attn [B, T_x, T_y], stats [B, M, T_x] -> [B, M, T_y]."""
    return torch.matmul(attn.transpose(1, 2), stats.transpose(1, 2)).transpose(1, 2)


class GlowTTS(nn.Module):
    """The Glow-TTS acoustic model: token ids in, log-mel frames out. Builds random weights only.

    Loading weights is the job of ``hub`` (our voices) or ``model.official`` (official checkpoints).

    Speakers, as in the official ``FlowGenerator``: ids go through the table ``emb_g`` and are
    L2-normalised over channels into ``g`` [B, G, 1] (``speaker_embedding``). ``g`` conditions the
    duration predictor, concatenated to its detached input along the channels (``g`` itself is not
    detached, so the duration loss trains the table too), and every WaveNet layer of every coupling,
    through ``cond_layer`` (a 1x1 conv to ``2 H n_layers`` channels, one slice per layer, added
    before the gate). The encoder's prior never sees ``g``. ``forward_train``/``infer`` take ``g``
    rather than ids, so a caller may also pass a mixed embedding. A config with ``gin_channels > 0``
    but no speaker table (``n_speakers <= 1``) has the conditioning layers and needs ``g`` from
    outside, as officially.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.n_sqz = cfg.decoder.n_sqz
        self.gin_channels = cfg.gin_channels
        self.encoder = TextEncoder(cfg.encoder, n_vocab=cfg.n_vocab, n_mels=cfg.n_mels)
        self.duration = DurationPredictor(
            cfg.duration,
            in_channels=cfg.encoder.hidden_channels,
            gin_channels=cfg.gin_channels,
        )
        self.decoder = FlowDecoder(cfg.decoder, n_mels=cfg.n_mels, gin_channels=cfg.gin_channels)
        self.emb_g: nn.Embedding | None = None
        if cfg.multi_speaker:
            self.emb_g = nn.Embedding(cfg.n_speakers, cfg.gin_channels)
            nn.init.uniform_(self.emb_g.weight, -0.1, 0.1)

    def speaker_embedding(self, sid: torch.Tensor) -> torch.Tensor:
        """Speaker ids [B] int64 -> g [B, G, 1], the unit-length embedding the sub-modules take."""
        if self.emb_g is None:
            raise ConfigError(
                "This model has no speaker table (n_speakers <= 1).",
                hint="Call it without a speaker.",
            )
        return F.normalize(self.emb_g(sid)).unsqueeze(-1)  # [B, G, 1]

    def _check_g(self, g: torch.Tensor | None, batch: int) -> None:
        if self.gin_channels and g is None:
            raise ConfigError(
                f"This model is conditioned on a speaker (gin_channels={self.gin_channels}) but no "
                "speaker embedding was given.",
                hint="Pass g=model.speaker_embedding(speaker_ids).",
            )
        if g is not None and (
            not self.gin_channels or tuple(g.shape) != (batch, self.gin_channels, 1)
        ):
            raise ConfigError(
                f"Speaker embedding g has shape {tuple(g.shape)}; this model expects "
                + (f"[{batch}, {self.gin_channels}, 1]." if self.gin_channels else "none."),
            )

    def forward_train(
        self,
        x: torch.Tensor,
        x_lengths: torch.Tensor,
        y: torch.Tensor,
        y_lengths: torch.Tensor,
        g: torch.Tensor | None = None,
        align_band: int = 0,
    ) -> TrainOutput:
        """Training pass: encode, run the flow on the mel, align with MAS, expand the prior.

        Args:
            x: [B, T_x] int64 token ids; x_lengths: [B] int64.
            y: [B, M, T_y] log-mel frames (zero padded); y_lengths: [B] int64, each >= its
            x_lengths.
            g: [B, G, 1] speaker embedding (multi-speaker models only).
            align_band: 0 (MAS as published), or keep the alignment within this many frames of
            the duration predictor's path scaled to each clip (:mod:`glowtts_cli.align.band`;
            fine-tuning on a new speaker).

        Returns:
            ``TrainOutput``. Frames past the last multiple of n_sqz are dropped (T_y and y_lengths
            are floored), as the official model does.
        """
        self._check_g(g, x.shape[0])
        enc = self.encoder(x, x_lengths)
        logw = self.duration(enc.h, enc.x_mask, g)  # [B, 1, T_x]
        t_y = (y.shape[-1] // self.n_sqz) * self.n_sqz
        y = y[:, :, :t_y]  # [B, M, T_y]
        y_lengths = (y_lengths // self.n_sqz) * self.n_sqz
        y_mask = sequence_mask(y_lengths, t_y).unsqueeze(1).to(enc.x_mask.dtype)  # [B, 1, T_y]
        z, logdet = self.decoder(y, y_mask, g=g)
        # The MAS scores in float32 even under mixed precision: exp(-2 logs) and sums over mel bins
        # of squared latents lose the alignment's small decision margins in float16.
        with torch.no_grad(), torch.autocast(z.device.type, enabled=False):
            attn_mask = enc.x_mask.transpose(1, 2).float() * y_mask.float()  # [B, T_x, T_y]
            log_p = log_likelihood_matrix(
                z.float(), enc.mu_x.float(), enc.logs_x.float()
            )  # [B, T_x, T_y]
            # Imported here: the search is Numba, which only training needs (0.3-2 s of start-up).
            from glowtts_cli.align.band import band_penalty
            from glowtts_cli.align.mas import maximum_path

            if align_band:
                log_p = log_p + band_penalty(logw, enc.x_mask, y_lengths, t_y, align_band)

            attn = maximum_path(log_p, attn_mask).to(enc.mu_x.dtype)  # [B, T_x, T_y]
        logw_mas = torch.log(1e-8 + torch.sum(attn, -1)).unsqueeze(1) * enc.x_mask  # [B, 1, T_x]
        return TrainOutput(
            z=z,
            mu_y=_expand_by_alignment(attn, enc.mu_x),
            logs_y=_expand_by_alignment(attn, enc.logs_x),
            logdet=logdet,
            y_mask=y_mask,
            y_lengths=y_lengths,
            mu_x=enc.mu_x,
            logs_x=enc.logs_x,
            x_mask=enc.x_mask,
            attn=attn,
            logw=logw,
            logw_mas=logw_mas,
        )

    def forward(
        self,
        x: torch.Tensor,
        x_lengths: torch.Tensor,
        y: torch.Tensor,
        y_lengths: torch.Tensor,
        g: torch.Tensor | None = None,
        align_band: int = 0,
    ) -> TrainOutput:
        """Same as ``forward_train`` (so wrappers like DistributedDataParallel can call it)."""
        return self.forward_train(x, x_lengths, y, y_lengths, g, align_band)

    @torch.no_grad()
    def infer(
        self,
        x: torch.Tensor,
        x_lengths: torch.Tensor,
        g: torch.Tensor | None = None,
        noise_scale: float = 0.667,
        length_scale: float = 1.0,
        generator: torch.Generator | None = None,
        noise: torch.Tensor | None = None,
    ) -> InferOutput:
        """Synthesise log-mel frames.

        Args:
            x: [B, T_x] int64 token ids; x_lengths: [B] int64.
            g: [B, G, 1] speaker embedding (multi-speaker models only).
            noise_scale: temperature of the prior sample (0 gives the prior mean).
            length_scale: multiplies every duration (> 1 is slower speech).
            generator: random source for the prior sample (on the model's device).
            noise: [B, M, T_y] standard-normal draw to use instead of sampling (T_y must equal the
                generated length; for reproducing a reference run).

        Returns:
            ``InferOutput``. Lengths are ``max(1, sum(ceil(w)))`` floored to a multiple of n_sqz,
            where the official code stops; a result of 0 frames is raised to n_sqz instead of
            failing.
        """
        self._check_g(g, x.shape[0])
        enc = self.encoder(x, x_lengths)
        logw = self.duration(enc.h, enc.x_mask, g)  # [B, 1, T_x]
        w_ceil = torch.ceil(torch.exp(logw) * enc.x_mask * length_scale)  # [B, 1, T_x]
        y_lengths = torch.clamp_min(torch.sum(w_ceil, [1, 2]), 1).long()  # [B]
        y_lengths = torch.clamp_min((y_lengths // self.n_sqz) * self.n_sqz, self.n_sqz)
        t_y = int(y_lengths.max().item())
        y_mask = sequence_mask(y_lengths, t_y).unsqueeze(1).to(enc.x_mask.dtype)  # [B, 1, T_y]
        attn_mask = enc.x_mask.transpose(1, 2) * y_mask  # [B, T_x, T_y]
        attn = generate_path(w_ceil.squeeze(1), attn_mask)  # [B, T_x, T_y]
        mu_y = _expand_by_alignment(attn, enc.mu_x)  # [B, M, T_y]
        logs_y = _expand_by_alignment(attn, enc.logs_x)  # [B, M, T_y]
        if noise is None:
            noise = torch.randn(
                mu_y.shape, generator=generator, device=mu_y.device, dtype=mu_y.dtype
            )
        elif noise.shape != mu_y.shape:
            raise ValueError(f"noise has shape {tuple(noise.shape)}, expected {tuple(mu_y.shape)}")
        z = (mu_y + torch.exp(logs_y) * noise * noise_scale) * y_mask  # [B, M, T_y]
        y, logdet = self.decoder(z, y_mask, g=g, reverse=True)
        return InferOutput(
            y=y,
            y_lengths=y_lengths,
            y_mask=y_mask,
            attn=attn,
            logw=logw,
            w_ceil=w_ceil,
            z=z,
            mu_y=mu_y,
            logs_y=logs_y,
            mu_x=enc.mu_x,
            logs_x=enc.logs_x,
            x_mask=enc.x_mask,
            logdet=logdet,
        )

    def set_ddi(self, enabled: bool = True) -> None:
        """Arm data-dependent ActNorm init: the next ``forward_train`` initialises every ActNorm."""
        self.decoder.set_ddi(enabled)

    def prepare_for_inference(self) -> GlowTTS:
        """Fold weight norm, cache the 1x1-conv inverses and switch to eval mode (in place).

        The state dict then has plain ``weight`` keys; load weights before calling this (or fold a
        fresh model first and load a folded state dict). Returns ``self``.
        """
        fold_weight_norm(self)
        self.eval()
        self.decoder.store_inverse()
        return self
