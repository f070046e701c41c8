"""Turn an official glow-tts LJSpeech checkpoint into a voice folder.

The official ``pretrained.pth`` goes with ``configs/base.json`` (148 symbols), the blank-token
checkpoint with ``configs/base_blank.json`` (149 ids: a blank interspersed between tokens). The
voice uses the official-compatible front end (english_cleaners + CMUdict) and HiFi-GAN V1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glowtts_cli.config import (
    InferenceDefaults,
    ModelConfig,
    TextConfig,
    TrainingInfo,
    VocoderConfig,
    VoiceConfig,
)
from glowtts_cli.errors import CheckpointError
from glowtts_cli.files import read_json
from glowtts_cli.model.official import (
    glowtts_from_official,
    official_model_kwargs,
    read_official_checkpoint,
)
from glowtts_cli.text.symbols import OFFICIAL_SYMBOLS
from glowtts_cli.voice_folder import export_model_state, save_voice

OFFICIAL_BASE_MODEL: dict[str, Any] = {
    "hidden_channels": 192, "filter_channels": 768, "filter_channels_dp": 256,
    "kernel_size": 3, "p_dropout": 0.1, "n_blocks_dec": 12, "n_layers_enc": 6,
    "n_heads": 2, "p_dropout_dec": 0.05, "dilation_rate": 1, "kernel_size_dec": 5,
    "n_block_layers": 4, "n_sqz": 2, "prenet": True, "mean_only": True,
    "hidden_channels_enc": 192, "hidden_channels_dec": 192, "window_size": 4,
}  # fmt: skip
"""The ``model`` section of the official ``configs/base.json`` (identical in base_blank.json)."""


def _official_kwargs(state: dict[str, Any], config_path: Path | None) -> dict[str, Any]:
    if config_path is None:
        return official_model_kwargs({"model": OFFICIAL_BASE_MODEL}, state)
    config = read_json(
        config_path, hint="Pass the JSON config of the official run (glow-tts configs/*.json)."
    )
    if "model" in config:  # a training config (configs/*.json)
        return official_model_kwargs(config, state)
    return official_model_kwargs({"model": config}, state)  # FlowGenerator keyword arguments


def import_official(
    checkpoint: Path,
    out: Path,
    *,
    blank: bool | None = None,
    config: Path | None = None,
    name: str = "glowtts-ljspeech",
    vocoder: str = "ljspeech",
) -> Path:
    """Convert an official checkpoint into a voice folder at ``out`` and return it.

    Args:
        checkpoint: official ``.pth`` (read with ``weights_only=True``: no code in it runs).
        out: voice folder to write.
        blank: whether the checkpoint uses the interspersed blank; None infers it from the
            embedding size (148 = no blank, 149 = blank).
        config: an official config JSON for non-base models (default: ``configs/base.json``).
        name: voice name.
        vocoder: bundled HiFi-GAN V1 weights to pair with (``ljspeech`` or ``universal``).
    """
    state = read_official_checkpoint(checkpoint)
    kwargs = _official_kwargs(state, config)
    n_vocab = int(kwargs["n_vocab"])
    n_symbols = len(OFFICIAL_SYMBOLS)
    inferred = n_vocab == n_symbols + 1
    if n_vocab not in (n_symbols, n_symbols + 1):
        raise CheckpointError(
            f"{checkpoint}: its embedding has {n_vocab} rows; the official LJSpeech models have "
            f"{n_symbols} (base.json) or {n_symbols + 1} (base_blank.json).",
            hint="Only the official English front end can be imported.",
        )
    if blank is not None and blank != inferred:
        raise CheckpointError(
            f"{checkpoint} was trained {'with' if inferred else 'without'} the blank token "
            f"({n_vocab} ids), but --{'blank' if blank else 'no-blank'} was given.",
            hint="Leave the flag out: it is detected from the checkpoint.",
        )
    model = glowtts_from_official(state, kwargs)
    text = TextConfig(
        language="en-us", phonemizer="official", symbols=OFFICIAL_SYMBOLS, add_blank=inferred
    )
    cfg = VoiceConfig(
        name=name,
        language="en-us",
        description="Official Glow-TTS LJSpeech model"
        + (" (blank token)" if inferred else "")
        + ", imported with glowtts-cli.",
        license="unknown",
        text=text,
        model=ModelConfig.from_official(kwargs),
        vocoder=VocoderConfig(kind="hifigan", source=vocoder),
        inference=InferenceDefaults(noise_scale=0.667, length_scale=1.0),
        training=TrainingInfo(
            dataset="LJSpeech 1.1 (public domain), trained by the Glow-TTS authors",
            hours=24.0,
            notes="Weights from the official glow-tts release (no license stated for them).",
        ),
    )
    return save_voice(out, cfg, export_model_state(model))
