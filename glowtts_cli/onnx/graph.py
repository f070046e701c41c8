"""One ONNX graph per voice: ids -> encoder -> durations -> prior sample -> reverse flow -> vocoder.

The graph has Piper's interface (``input`` [1, T_x] int64, ``input_lengths`` [1] int64,
``scales`` [3] float32 = noise scale, length scale, noise-w; ``sid`` [1] int64 for multi-speaker
voices; ``output`` [1, 1, S] float32 waveform), so Piper's runtime can load an exported voice. A
second output, ``durations`` [1, T_x], holds the frames each id lasted: Piper reads it as its
alignment output (samples per id = frames x hop).
Glow-TTS inference as in Kim et al. 2020, section 3.4 (eq. 8), with the voice's own vocoder.
"""

from __future__ import annotations

import io
import typing
import warnings

import torch
from torch import nn
from torch.jit._trace import TracerWarning  # not re-exported by torch.jit for type checkers

from glowtts_cli.errors import ConfigError
from glowtts_cli.model.glow_tts import GlowTTS, _expand_by_alignment
from glowtts_cli.model.layers import generate_path

__all__ = ["INPUT_NAMES", "OPSET", "OUTPUT_NAMES", "SynthesisGraph", "export_graph"]

OPSET = 17
"""ONNX opset of exported voices (onnxruntime >= 1.14 and Piper's runtime read it)."""

INPUT_NAMES = ("input", "input_lengths", "scales")
"""Piper's input names; ``sid`` follows for multi-speaker voices."""

OUTPUT_NAMES = ("output", "durations")
"""Piper reads the first output as the waveform and the second as frames per id."""


class SynthesisGraph(nn.Module):
    """Acoustic model and vocoder as one traceable module (inference only, batch of one or more).

    ``GlowTTS.infer`` reads the generated length as a Python int to size its tensors; a graph with
    dynamic lengths must keep it a tensor, so the length, mask and noise steps are written here
    with tensor sizes. Everything else calls the model's own modules, and a test checks that the
    graph's audio equals ``Voice``'s for the same ids.
    """

    def __init__(self, model: GlowTTS, vocoder: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.vocoder = vocoder
        self.eval()  # torch.onnx.export restores this mode afterwards: it must stay eval

    def forward(
        self,
        x: torch.Tensor,
        x_lengths: torch.Tensor,
        scales: torch.Tensor,
        sid: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Synthesise.

        Args:
            x: [B, T_x] int64 token ids; x_lengths: [B] int64.
            scales: [3] float32: noise scale, length scale, noise-w (unused: Glow-TTS durations
                are deterministic).
            sid: [B] int64 speaker ids (multi-speaker voices only).

        Returns:
            (waveform [B, 1, S] in [-1, 1], S = T_y * hop; durations [B, T_x] float frames per
            id, as used after the trim to n_sqz).
        """
        model = self.model
        g = model.speaker_embedding(sid) if sid is not None else None  # [B, G, 1]
        enc = model.encoder(x, x_lengths)
        logw = model.duration(enc.h, enc.x_mask, g)  # [B, 1, T_x]
        w_ceil = torch.ceil(torch.exp(logw) * enc.x_mask * scales[1])  # [B, 1, T_x]
        y_lengths = torch.clamp_min(torch.sum(w_ceil, [1, 2]), 1).long()  # [B]
        y_lengths = torch.clamp_min((y_lengths // model.n_sqz) * model.n_sqz, model.n_sqz)
        # A 0-d tensor end, not an int: the tracer records the length instead of a constant.
        t_y = typing.cast(int, y_lengths.max())
        frames = torch.arange(t_y, device=x.device)  # [T_y]
        y_mask = (frames.unsqueeze(0) < y_lengths.unsqueeze(1)).unsqueeze(1)  # [B, 1, T_y]
        y_mask = y_mask.to(enc.x_mask.dtype)
        attn_mask = enc.x_mask.transpose(1, 2) * y_mask  # [B, T_x, T_y]
        attn = generate_path(w_ceil.squeeze(1), attn_mask)  # [B, T_x, T_y]
        mu_y = _expand_by_alignment(attn, enc.mu_x)  # [B, M, T_y]
        logs_y = _expand_by_alignment(attn, enc.logs_x)  # [B, M, T_y]
        noise = torch.randn_like(mu_y)  # [B, M, T_y]
        z = (mu_y + torch.exp(logs_y) * noise * scales[0]) * y_mask  # [B, M, T_y]
        y, _ = model.decoder(z, y_mask, g=g, reverse=True)  # [B, M, T_y]
        wav: torch.Tensor = self.vocoder(y)  # [B, S]
        return wav.clamp(-1.0, 1.0).unsqueeze(1), attn.sum(-1)  # [B, 1, S], [B, T_x]


def export_graph(graph: SynthesisGraph, buffer: io.BytesIO, *, multi_speaker: bool) -> None:
    """Trace ``graph`` on a short dummy input and write the ONNX model into ``buffer``.

    Lengths stay dynamic: the tracer records tensor sizes rather than the dummy's. The result is
    checked with ``onnx.checker``; the caller writes the bytes to disk atomically.
    """
    try:
        import onnx
    except ImportError as e:  # the onnx extra
        raise ConfigError(
            "Exporting ONNX needs the onnx package.",
            hint='Install it with: pip install "glowtts-cli[onnx]"',
        ) from e
    x = torch.ones(1, 9, dtype=torch.long)
    x_lengths = torch.tensor([9], dtype=torch.long)
    scales = torch.tensor([0.0, 1.0, 0.8], dtype=torch.float32)
    args: tuple[torch.Tensor, ...] = (x, x_lengths, scales)
    names = list(INPUT_NAMES)
    axes: dict[str, dict[int, str]] = {
        "input": {0: "batch", 1: "phonemes"},
        "input_lengths": {0: "batch"},
        "output": {0: "batch", 2: "samples"},
        "durations": {0: "batch", 1: "phonemes"},
    }
    if multi_speaker:
        args = (*args, torch.zeros(1, dtype=torch.long))
        names.append("sid")
        axes["sid"] = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        # Expected and harmless here, so not shown to users: the tracer fixes the decoder's
        # `T_y % n_sqz` check (inference rounds T_y to a multiple, so it never raises) and the
        # flows' inverse-weight cache test; the exporter cannot fold some Slices.
        # tests/onnx/test_export.py checks the graph's audio at several lengths against torch's.
        warnings.filterwarnings("ignore", category=TracerWarning)
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        torch.onnx.export(
            graph,
            args,
            buffer,  # type: ignore[arg-type]  # the TorchScript exporter writes file objects
            input_names=names,
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    onnx.checker.check_model(buffer.getvalue())
