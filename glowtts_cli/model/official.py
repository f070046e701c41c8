"""Official glow-tts checkpoints (github.com/jaywalnut310/glow-tts) to and from ``GlowTTS``.

Key renaming between the official ``FlowGenerator`` layout and ``GlowTTS`` and the reader for
official ``.pth`` files; the strict check and loader they use live in ``glowtts_cli.state_dict``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch

from glowtts_cli.config import ModelConfig
from glowtts_cli.errors import CheckpointError
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.state_dict import check_state_dict, listed, load_state_dict_strict, load_torch_file
from glowtts_cli.weight_norm import normalize_weight_norm_keys

__all__ = [
    "from_official_state_dict",
    "glowtts_from_official",
    "official_model_kwargs",
    "read_official_checkpoint",
    "to_official_state_dict",
]

V = TypeVar("V")

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("encoder.pre.", "encoder.prenet."),
    ("encoder.encoder.attn_layers.{i}.", "encoder.layers.{i}.attn."),
    ("encoder.encoder.norm_layers_1.{i}.", "encoder.layers.{i}.norm_1."),
    ("encoder.encoder.ffn_layers.{i}.", "encoder.layers.{i}.ffn."),
    ("encoder.encoder.norm_layers_2.{i}.", "encoder.layers.{i}.norm_2."),
    ("encoder.proj_m.", "encoder.proj_mu."),
    ("encoder.proj_s.", "encoder.proj_logs."),
    ("encoder.proj_w.", "duration."),
)
"""(official prefix, our prefix) pairs; ``{i}`` is a layer index. Every other key is the same in
both (``encoder.emb``, ``decoder.flows.*``, ``emb_g``), apart from the weight-norm suffixes."""


def _prefix_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(re.escape("{i}"), r"(?P<i>\d+)"))


def _rename(key: str, pairs: Sequence[tuple[str, str]]) -> str:
    for source, target in pairs:
        match = _prefix_regex(source).match(key)
        if match:
            index = match.groupdict().get("i")
            head = target.replace("{i}", index) if index is not None else target
            return head + key[match.end() :]
    return key


def from_official_state_dict(state_dict: Mapping[str, V]) -> dict[str, V]:
    """Official ``FlowGenerator`` keys -> ``GlowTTS`` keys (values untouched, no checking).

    Accepts legacy or parametrized weight-norm names, and a ``module.`` prefix (from DDP).
    Use ``load_state_dict_strict`` (or ``glowtts_from_official``) to load the result.
    """
    keys = list(state_dict)
    prefix = "module."
    strip = bool(keys) and all(k.startswith(prefix) for k in keys)
    renamed = {
        _rename(k[len(prefix) :] if strip else k, _PREFIXES): v for k, v in state_dict.items()
    }
    return normalize_weight_norm_keys(renamed, style="parametrizations")


def to_official_state_dict(state_dict: Mapping[str, V]) -> dict[str, V]:
    """``GlowTTS`` keys (weight norm not folded) -> official layout and legacy weight-norm names."""
    reverse = [(ours, official) for official, ours in _PREFIXES]
    renamed = {_rename(k, reverse): v for k, v in state_dict.items()}
    return normalize_weight_norm_keys(renamed, style="legacy")


def read_official_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """Read the model weights of an official glow-tts ``.pth`` file (``G_<epoch>.pth``).

    Accepts the training format ``{'model': state_dict, 'optimizer': ..., ...}`` or a bare state
    dict. Loaded with ``weights_only=True`` onto the CPU, so no code in the file runs.

    Raises:
        CheckpointError: the file cannot be read or holds something else.
    """
    obj = load_torch_file(
        path, what="checkpoint", hint="Pass an official glow-tts .pth file (G_<epoch>.pth)."
    )
    state = obj.get("model") if isinstance(obj, dict) and "model" in obj else obj
    if (
        not isinstance(state, dict)
        or not state
        or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
    ):
        raise CheckpointError(
            f"{path} is not a glow-tts checkpoint: expected a state dict or "
            "{'model': state_dict}, "
            f"found {type(obj).__name__}"
            + (f" with keys {listed(sorted(map(str, obj)))}" if isinstance(obj, dict) else "")
            + ".",
            hint="Pass an official glow-tts .pth file (G_<epoch>.pth).",
        )
    return state


def official_model_kwargs(
    config: Mapping[str, Any], state_dict: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    """``FlowGenerator`` keyword arguments from an official training ``config.json`` and weights.

    ``train.py`` builds ``FlowGenerator(len(symbols) + add_blank, out_channels=n_mel_channels,
    **model)``; the vocabulary size is read off ``encoder.emb.weight`` here, since the symbol list
    is code, not config.

    Raises:
        CheckpointError: the config has no ``model`` section or the weights no embedding.
    """
    model = config.get("model")
    emb = state_dict.get("encoder.emb.weight", state_dict.get("module.encoder.emb.weight"))
    if not isinstance(model, Mapping) or emb is None:
        raise CheckpointError(
            "Not an official glow-tts config and checkpoint pair (need config['model'] and "
            "encoder.emb.weight).",
            hint="Pass the G_<epoch>.pth that glow-tts's train.py wrote, with the config.json "
            "of that run (or none, for the LJSpeech base model).",
        )
    kwargs = dict(model)
    kwargs.setdefault("n_vocab", int(emb.shape[0]))
    data = config.get("data")
    if isinstance(data, Mapping) and "n_mel_channels" in data:
        kwargs.setdefault("out_channels", int(data["n_mel_channels"]))
    return kwargs


def glowtts_from_official(
    state_dict: Mapping[str, torch.Tensor], official_kwargs: Mapping[str, Any]
) -> GlowTTS:
    """Build a ``GlowTTS`` from official weights and ``FlowGenerator`` keyword arguments.

    Args:
        state_dict: the official model state dict (see ``read_official_checkpoint``).
        official_kwargs: ``FlowGenerator(**kwargs)`` arguments (see ``official_model_kwargs``);
            omitted ones take the official constructor defaults.

    Returns:
        The model in eval mode, weight norm not folded (call ``prepare_for_inference()`` to fold).

    Raises:
        ConfigError: the kwargs are not a valid official config.
        CheckpointError: the weights do not fit that config.
    """
    model = GlowTTS(ModelConfig.from_official(dict(official_kwargs)))
    # Checked in the official naming, so that an error names the keys as the checkpoint has them.
    ours = from_official_state_dict(state_dict)
    check_state_dict(
        to_official_state_dict({k: tuple(v.shape) for k, v in model.state_dict().items()}),
        to_official_state_dict({k: tuple(v.shape) for k, v in ours.items()}),
        source="the official weights",
    )
    load_state_dict_strict(model, ours, source="the official weights")
    return model.eval()
