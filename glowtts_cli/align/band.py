"""A band around the duration predictor's path that keeps alignment search near it.

A voice fine-tuned on a speaker it never heard cannot align that speaker's mels at first: its
prior means are another voice's, and the alignment search puts most frames on a few tokens
(measured on the bundled female voice and a male speaker: one token took 209 of a clip's frames,
most others one). The first steps then learn from that alignment, and the voice passes through
babble before it recovers. The duration predictor still reads the text well, so its durations,
scaled to each clip's length, give a path that is roughly right; the search is kept within
``width`` frames of it by a penalty on every frame outside, so that it still finds the best path
inside the band, and still finds a path when the band leaves too few frames for a token.
"""

from __future__ import annotations

import torch

OUTSIDE_BAND = 1e4
"""Penalty (in log-likelihood) for each frame aligned outside the band: far above what a frame's
score varies by inside it (tens), far below the search's own -1e9 boundary score."""


def band_penalty(
    logw: torch.Tensor, x_mask: torch.Tensor, y_lengths: torch.Tensor, t_y: int, width: int
) -> torch.Tensor:
    """The penalty to add to the alignment scores: 0 inside the band, -OUTSIDE_BAND outside.

    Args:
        logw: [B, 1, T_x] predicted log durations; x_mask: [B, 1, T_x] valid tokens.
        y_lengths: [B] frames of each clip; t_y: frames of the batch.
        width: frames allowed either side of each token's scaled span.

    Returns:
        [B, T_x, T_y] float32.
    """
    w = torch.exp(logw.float()) * x_mask.float()  # [B, 1, T_x]
    ends = torch.cumsum(w, dim=-1)  # [B, 1, T_x]
    total = ends[:, :, -1:].clamp_min(1e-6)  # [B, 1, 1]
    ends = ends / total * y_lengths.view(-1, 1, 1).float()  # [B, 1, T_x] in frames
    starts = ends - w / total * y_lengths.view(-1, 1, 1).float()  # [B, 1, T_x]
    frames = torch.arange(t_y, device=logw.device, dtype=torch.float32)  # [T_y]
    frames = frames.view(1, 1, -1)  # [1, 1, T_y]
    first = starts.transpose(1, 2) - width  # [B, T_x, 1]
    last = ends.transpose(1, 2) + width  # [B, T_x, 1]
    inside = (frames >= first.floor()) & (frames < last.ceil())  # [B, T_x, T_y]
    return torch.where(inside, 0.0, -OUTSIDE_BAND)
