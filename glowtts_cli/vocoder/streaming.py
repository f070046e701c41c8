"""Chunked vocoding: turn a long mel into audio piece by piece with bounded memory.

Each chunk is vocoded together with ``context_frames`` of mel on both sides (the vocoder's receptive
field), and only the samples of the chunk itself are kept. With a context at least as wide as the
receptive field, the concatenated pieces equal one-shot vocoding up to float rounding, and playback
can start after the first chunk instead of after the whole utterance.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from glowtts_cli.vocoder import Vocoder

DEFAULT_CHUNK_FRAMES = 64
"""Frames per chunk: about 0.74 s of audio at 22.05 kHz with hop 256."""


def stream_vocode(
    vocoder: Vocoder,
    mel: torch.Tensor,
    *,
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    first_chunk_frames: int | None = None,
    context_frames: int | None = None,
) -> Iterator[torch.Tensor]:
    """Yield the waveform of ``mel`` in consecutive pieces.

    Args:
        vocoder: any :class:`Vocoder`. One whose ``context_frames`` is None (Griffin-Lim) is not
            local in time and gets the whole mel as one piece.
        mel: ``[B, M, T_y]`` log-mel.
        chunk_frames: frames per piece.
        first_chunk_frames: a smaller first piece lowers the time to first audio (default:
            ``chunk_frames``).
        context_frames: frames of context on each side (default: the vocoder's receptive field).

    Yields:
        ``[B, S_i]`` waveform pieces with sum(S_i) = T_y * hop_length.
    """
    if chunk_frames < 1 or (first_chunk_frames is not None and first_chunk_frames < 1):
        raise ValueError("chunk sizes must be >= 1 frame")
    n_frames = mel.shape[-1]
    context = vocoder.context_frames if context_frames is None else context_frames
    if context is None:
        yield vocoder.vocode(mel)
        return
    hop = vocoder.hop_length
    start = 0
    size = first_chunk_frames or chunk_frames
    while start < n_frames:
        end = min(start + size, n_frames)
        lo, hi = max(0, start - context), min(n_frames, end + context)
        wav = vocoder.vocode(mel[:, :, lo:hi])  # [B, (hi - lo) * hop]
        yield wav[:, (start - lo) * hop : (end - lo) * hop]  # [B, (end - start) * hop]
        start, size = end, chunk_frames
