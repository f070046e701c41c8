"""HiFi-GAN weights on disk: official torch checkpoints in; our safetensors + config.json in/out.

Official checkpoints (``{'generator': state_dict}``, weight-norm ``weight_g``/``weight_v``) are read
with ``torch.load(weights_only=True)``, so no arbitrary object is ever unpickled. Weight norm is
folded into plain weights (w = g * v / ||v||, norm over every dim but 0) before a strict load.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from glowtts_cli.config import HiFiGANConfig, VocoderConfig, VocosConfig, from_dict, save_json
from glowtts_cli.errors import CheckpointError
from glowtts_cli.files import read_json
from glowtts_cli.state_dict import (
    load_safetensors,
    load_state_dict_strict,
    load_torch_file,
    save_safetensors,
)
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.vocos import VocosGenerator
from glowtts_cli.weight_norm import fold_weight_norm_state

WEIGHTS_NAME = "vocoder.safetensors"
"""File name of our generator weights (folded, float32) inside a vocoder or voice folder."""

CONFIG_NAME = "config.json"
"""A vocoder folder's config: our ``VocoderConfig`` JSON, or an official HiFi-GAN config."""

_CHECKPOINT_SUFFIXES = (".pth", ".pth.tar", ".pt", ".ckpt", ".tar")

_REEXPORT = "Re-download the vocoder, or export it again from its run."

StateDict = dict[str, torch.Tensor]


# --------------------------------------------------------------------------------------------
# State-dict transforms
# --------------------------------------------------------------------------------------------


def load_generator_state(
    generator: HiFiGANGenerator, state_dict: Mapping[str, torch.Tensor]
) -> None:
    """Fold weight norm, then load strictly: a missing, unexpected or misshapen key is an error."""
    sd = fold_weight_norm_state(state_dict)
    load_state_dict_strict(
        generator,
        {k: v.to(torch.float32) for k, v in sd.items()},
        source="the HiFi-GAN checkpoint",
        hint="Check that config.json belongs to these weights (resblock type, widths, rates).",
    )


# --------------------------------------------------------------------------------------------
# Official checkpoints
# --------------------------------------------------------------------------------------------


def read_official_state_dict(path: str | Path) -> StateDict:
    """Read the generator state dict of an official checkpoint (``{'generator': ...}`` or bare).

    Uses ``torch.load(weights_only=True)``: only tensors and plain containers are accepted.
    """
    obj = load_torch_file(
        path,
        what="HiFi-GAN checkpoint",
        hint="Only plain state dicts load; checkpoints holding pickled objects are refused.",
    )
    if isinstance(obj, dict) and "generator" in obj:
        obj = obj["generator"]
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise CheckpointError(
            f"{path} holds no HiFi-GAN generator state dict.",
            hint="Expected the official g_XXXXXXXX / generator_v1 file (not do_XXXXXXXX).",
        )
    return dict(obj)


def read_official_config(path: str | Path) -> HiFiGANConfig:
    """Parse an official HiFi-GAN ``config.json`` into a :class:`HiFiGANConfig`."""
    return HiFiGANConfig.from_official(read_json(path))


def load_official_checkpoint(
    checkpoint: str | Path, config: str | Path | HiFiGANConfig
) -> HiFiGANGenerator:
    """A generator from an official checkpoint and its config (path or parsed): folded, in eval."""
    cfg = config if isinstance(config, HiFiGANConfig) else read_official_config(config)
    generator = HiFiGANGenerator(cfg)
    load_generator_state(generator, read_official_state_dict(checkpoint))
    return generator.eval()


# --------------------------------------------------------------------------------------------
# Our format: vocoder.safetensors + config.json (a VocoderConfig)
# --------------------------------------------------------------------------------------------


def _save(
    generator: HiFiGANGenerator | VocosGenerator, cfg: VocoderConfig, directory: str | Path
) -> Path:
    """``vocoder.safetensors`` (float32) and the ``config.json`` describing it, atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.to(torch.float32) for k, v in generator.state_dict().items()}
    save_safetensors(tensors, directory / WEIGHTS_NAME, metadata={"format": "pt"})
    save_json(cfg, directory / CONFIG_NAME)
    return directory


def save_hifigan(
    generator: HiFiGANGenerator, directory: str | Path, *, source: str = "voice"
) -> Path:
    """Write ``vocoder.safetensors`` (folded float32 weights) and ``config.json`` atomically.

    ``source`` is recorded in the ``VocoderConfig``; ``voice`` means "this folder's weights".
    """
    cfg = VocoderConfig(kind="hifigan", source=source, hifigan=generator.cfg)
    return _save(generator, cfg, directory)


def load_safetensors_generator(weights: str | Path, cfg: HiFiGANConfig) -> HiFiGANGenerator:
    """Build a generator from a safetensors file (folded or weight-norm names) and a config."""
    state = load_safetensors(weights, hint=_REEXPORT)
    generator = HiFiGANGenerator(cfg)
    load_generator_state(generator, state)
    return generator.eval()


def save_vocos(generator: VocosGenerator, directory: str | Path, *, source: str = "voice") -> Path:
    """Write a Vocos ``vocoder.safetensors`` (float32) and its ``config.json`` atomically."""
    return _save(
        generator, VocoderConfig(kind="vocos", source=source, vocos=generator.cfg), directory
    )


def load_vocos(weights: str | Path, cfg: VocosConfig) -> VocosGenerator:
    """A Vocos generator from a safetensors file and its config, loaded strictly, in eval."""
    state = load_safetensors(weights, hint=_REEXPORT)
    generator = VocosGenerator(cfg)
    load_state_dict_strict(
        generator, state, source=f"the Vocos weights {weights}",
        hint="Check that config.json belongs to these weights (widths, layers, STFT sizes).",
    )  # fmt: skip
    return generator.eval()


def load_vocoder_from_dir(path: str | Path) -> HiFiGANGenerator | VocosGenerator:
    """Load a HiFi-GAN or Vocos vocoder from a local folder or file, whichever layout it has.

    Accepted: our folder (``vocoder.safetensors`` + ``config.json`` holding a VocoderConfig of
    kind ``hifigan`` or ``vocos``); an
    official folder (``config.json`` + ``g_XXXXXXXX`` / ``generator_*`` / ``*.pth``; the latest
    ``g_`` wins, as in the official scripts); or the path of one weights file with its
    ``config.json`` beside it.

    Raises:
        CheckpointError: nothing loadable there, or the weights do not fit the config.
    """
    path = Path(path)
    directory = path.parent if path.is_file() else path
    if not directory.is_dir():
        raise CheckpointError(f"Vocoder path {path} does not exist.")
    config_path = directory / CONFIG_NAME
    if not config_path.is_file():
        raise CheckpointError(
            f"No {CONFIG_NAME} in {directory}.",
            hint="A vocoder folder needs config.json beside its weights (ours or an official one).",
        )
    data = read_json(config_path)
    if "upsample_rates" in data:  # an official HiFi-GAN config
        cfg = HiFiGANConfig.from_official(data)
        checkpoint = path if path.is_file() else _find_official_checkpoint(directory)
        if checkpoint.suffix == ".safetensors":
            return load_safetensors_generator(checkpoint, cfg)
        return load_official_checkpoint(checkpoint, cfg)
    vocoder_cfg = from_dict(VocoderConfig, data, where=str(config_path))
    weights = path if path.is_file() else directory / WEIGHTS_NAME
    if vocoder_cfg.kind == "vocos" and vocoder_cfg.vocos is not None:
        return load_vocos(weights, vocoder_cfg.vocos)
    if vocoder_cfg.kind != "hifigan" or vocoder_cfg.hifigan is None:
        raise CheckpointError(
            f"{config_path} does not describe vocoder weights (no 'hifigan' or 'vocos' section)."
        )
    return load_safetensors_generator(weights, vocoder_cfg.hifigan)


def _find_official_checkpoint(directory: Path) -> Path:
    files = sorted(p for p in directory.iterdir() if p.is_file())
    steps = [p for p in files if p.name.startswith("g_") and p.name[2:].isdigit()]
    if steps:
        return steps[-1]
    candidates = [
        p
        for p in files
        if p.name.startswith("generator")
        or p.name.endswith(_CHECKPOINT_SUFFIXES)
        or p.suffix == ".safetensors"
    ]
    if len(candidates) == 1:
        return candidates[0]
    found = ", ".join(p.name for p in candidates) or "none"
    raise CheckpointError(
        f"Cannot tell which file in {directory} is the generator checkpoint (found: {found}).",
        hint="Pass the checkpoint file itself instead of its folder.",
    )
