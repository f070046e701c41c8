"""Weight-norm state-dict keys and folding, shared by the acoustic model and the vocoders.

Two naming styles exist for the same tensors: ``legacy`` (``torch.nn.utils.weight_norm``, used by
the official glow-tts and HiFi-GAN checkpoints) stores ``<layer>.weight_g`` / ``<layer>.weight_v``;
``parametrizations`` (``torch.nn.utils.parametrizations.weight_norm``) stores
``<layer>.parametrizations.weight.original0`` / ``original1``. g is ``[C_0, 1, ...]``, v the weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeVar

import torch
from torch import nn
from torch.nn.utils import parametrize

from glowtts_cli.errors import CheckpointError

V = TypeVar("V")

WEIGHT_NORM_SUFFIXES: dict[str, tuple[str, str]] = {
    "legacy": (".weight_g", ".weight_v"),
    "parametrizations": (
        ".parametrizations.weight.original0",
        ".parametrizations.weight.original1",
    ),
}
"""(magnitude g, direction v) key suffixes of each style."""


def normalize_weight_norm_keys(
    state_dict: Mapping[str, V], *, style: Literal["legacy", "parametrizations"]
) -> dict[str, V]:
    """Rename weight-norm keys to one style; other keys pass through unchanged."""
    target = WEIGHT_NORM_SUFFIXES[style]
    sources = [s for name, s in WEIGHT_NORM_SUFFIXES.items() if name != style]
    out: dict[str, V] = {}
    for key, value in state_dict.items():
        for source in sources:
            for old, new in zip(source, target, strict=True):
                if key.endswith(old):
                    key = key[: -len(old)] + new
        out[key] = value
    return out


def fold_weight_norm_state(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace every (g, v) pair by its weight ``g * v / ||v||`` (norm over all dims but 0).

    Accepts both naming styles; a state dict without weight norm comes back unchanged. For a
    ConvTranspose1d, dim 0 is the input channel, exactly as the legacy ``weight_norm(dim=0)``.
    """
    sd = normalize_weight_norm_keys(state_dict, style="legacy")
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        if key.endswith(".weight_v"):
            continue
        if key.endswith(".weight_g"):
            layer = key[: -len(".weight_g")]
            v = sd.get(layer + ".weight_v")
            if v is None:
                raise CheckpointError(f"Weight-norm tensor {key} has no matching {layer}.weight_v.")
            dims = tuple(range(1, v.dim()))
            norm = torch.linalg.vector_norm(v, dim=dims, keepdim=True)
            out[layer + ".weight"] = v * (value / norm)
        else:
            out[key] = value
    orphans = [k for k in sd if k.endswith(".weight_v") and k[:-2] + "_g" not in sd]
    if orphans:
        raise CheckpointError(f"Weight-norm tensor(s) without weight_g: {', '.join(orphans[:10])}.")
    return out


def fold_weight_norm(module: nn.Module) -> nn.Module:
    """Replace every weight-normalised ``weight`` in ``module`` by the plain tensor it computes.

    Outputs are unchanged; the state-dict keys become ``<layer>.weight`` instead of
    ``<layer>.parametrizations.weight.original0/1``. Use it before inference and export; a folded
    model cannot load an unfolded state dict (fold the model first, then load). Returns ``module``,
    in place.
    """
    for sub in module.modules():
        if parametrize.is_parametrized(sub, "weight"):
            parametrize.remove_parametrizations(sub, "weight", leave_parametrized=True)
    return module
