"""The torch voice's audio for given ids: what every exported graph must reproduce (noise 0)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np


@functools.cache
def _voice(voice_dir: Path) -> Any:
    from glowtts_cli.api import Voice

    return Voice.load(voice_dir, device="cpu", threads=1)


def torch_audio(
    voice_dir: Path, ids: list[int], *, length_scale: float = 1.0, speaker: int | None = None
) -> np.ndarray:
    """Waveform of ``ids`` from ``Voice`` at noise 0, clamped as the API clamps it."""
    import torch

    from glowtts_cli.api import SynthesisOptions

    voice = _voice(voice_dir)
    options = SynthesisOptions(noise_scale=0.0, length_scale=length_scale, speaker=speaker)
    (mel,) = voice.mels([ids], options)
    with torch.no_grad():
        wav = voice.vocoder.vocode(mel.unsqueeze(0))[0].clamp(-1.0, 1.0)
    return np.asarray(wav.numpy())


def torch_frames(voice_dir: Path, ids: list[int], *, length_scale: float = 1.0) -> list[int]:
    """Frames each id lasted in the torch model's alignment (noise does not change them)."""
    import torch

    voice = _voice(voice_dir)
    x = torch.tensor([ids], dtype=torch.long)
    out = voice.model.infer(x, torch.tensor([len(ids)]), length_scale=length_scale)
    return [int(f) for f in out.attn.sum(-1)[0].round().long()]
