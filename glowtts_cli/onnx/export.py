"""Export a voice folder as an ONNX voice: ``model.onnx`` + ``model.onnx.json`` (Piper's format).

The folder written also holds the voice's ``config.json`` (and model card), so it is a voice
folder that ``glowtts say --engine onnx`` runs without torch, and that Piper loads as
``PiperVoice.load("model.onnx")``.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from glowtts_cli.config import VoiceConfig, save_json
from glowtts_cli.errors import ConfigError
from glowtts_cli.files import atomic_write_bytes, sha256_file, write_json
from glowtts_cli.hub import resolve
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.onnx.graph import SynthesisGraph, export_graph
from glowtts_cli.onnx.istft import ExportableVocos
from glowtts_cli.onnx.piper_config import piper_config
from glowtts_cli.onnx.runtime import ONNX_CONFIG_FILE, ONNX_FILE, cached_graph_dir
from glowtts_cli.state_dict import load_state_dict_strict
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.vocos import VocosGenerator
from glowtts_cli.voice_folder import (
    CARD_FILE,
    CONFIG_FILE,
    MODEL_FILE,
    load_model_state,
    model_card,
    read_voice_config,
)
from glowtts_cli.voice_vocoder import load_voice_vocoder

__all__ = ["export_onnx", "export_onnx_model"]


def _vocoder_module(cfg: VoiceConfig, folder: Path) -> torch.nn.Module:
    """The voice's own vocoder as a module the exporter can trace."""
    if cfg.vocoder.kind == "griffin-lim":
        raise ConfigError(
            f"Voice '{cfg.name}' uses Griffin-Lim, which has no ONNX export (it iterates).",
            hint="Pair the voice with a HiFi-GAN vocoder (vocoder.kind hifigan) and export again.",
        )
    vocoder = load_voice_vocoder(cfg, folder)
    if isinstance(vocoder, VocosGenerator):  # its complex inverse STFT, rewritten with real ops
        return ExportableVocos(vocoder)
    if not isinstance(vocoder, HiFiGANGenerator):
        raise ConfigError(f"Vocoder '{cfg.vocoder.source}' has no ONNX export.")
    return vocoder


def export_onnx_model(cfg: VoiceConfig, model: GlowTTS, vocoder: torch.nn.Module) -> bytes:
    """The ONNX bytes of a loaded model (folded, eval) and vocoder."""
    buffer = io.BytesIO()
    export_graph(SynthesisGraph(model, vocoder), buffer, multi_speaker=cfg.model.multi_speaker)
    return buffer.getvalue()


def export_onnx(spec: str | Path, out: Path | None = None) -> Path:
    """Export a voice (folder, catalog name or ``org/repo[@rev]``) into the folder ``out``.

    Writes ``model.onnx``, ``model.onnx.json``, and ``config.json`` plus ``README.md`` when
    ``out`` is not the voice's own folder. ``out`` None: a local voice's own folder; for a
    bundled, catalog or Hub voice the user cache (:func:`cached_graph_dir`), where loading the
    voice by its name finds the graph. Returns the path of ``model.onnx``.

    Raises:
        ConfigError: a vocoder or front end that cannot be exported (Griffin-Lim, ARPAbet).
        CheckpointError: weights missing or not fitting the config.
    """
    resolved = resolve(str(spec))
    folder = resolved.path
    cfg = read_voice_config(folder)
    digest = sha256_file(folder / MODEL_FILE)
    config = piper_config(cfg, model_sha256=digest)  # checks first
    if out is None:
        out = folder if resolved.origin == "local" else cached_graph_dir(digest)
    model = GlowTTS(cfg.model).prepare_for_inference()
    load_state_dict_strict(model, load_model_state(folder), source=str(folder / MODEL_FILE))
    model.decoder.store_inverse()
    data = export_onnx_model(cfg, model, _vocoder_module(cfg, folder))
    out.mkdir(parents=True, exist_ok=True)
    if out.resolve() != folder.resolve():
        save_json(cfg, out / CONFIG_FILE)
        card = folder / CARD_FILE
        atomic_write_bytes(
            out / CARD_FILE, card.read_bytes() if card.is_file() else model_card(cfg).encode()
        )
    atomic_write_bytes(out / ONNX_FILE, data)
    write_json(out / ONNX_CONFIG_FILE, config, ensure_ascii=False)
    return out / ONNX_FILE
