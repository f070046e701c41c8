"""The full-size official models (configs/base.json, base_blank.json) convert key for key.

Uses ``reference/glow_tts/official_base_keys.json`` (names and shapes read off the instantiated
official models); our model is built on the meta device, so no weights are allocated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from glowtts_cli.config import ModelConfig
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.model.official import from_official_state_dict
from glowtts_cli.state_dict import check_state_dict


def _configs(reference_dir: Path) -> dict[str, dict[str, object]]:
    path = reference_dir / "glow_tts" / "official_base_keys.json"
    data: dict[str, dict[str, object]] = json.loads(path.read_text("utf-8"))
    assert data, f"{path} lists no configs"
    return data


def test_full_size_official_models_convert(reference_dir: Path) -> None:
    for name, entry in _configs(reference_dir).items():
        kwargs = entry["constructor_kwargs"]
        shapes = entry["state_dict_shapes"]
        assert isinstance(kwargs, dict) and isinstance(shapes, dict)
        with torch.device("meta"):
            model = GlowTTS(ModelConfig.from_official(kwargs))
        ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        converted = {k: tuple(v) for k, v in from_official_state_dict(shapes).items()}
        check_state_dict(ours, converted, source=name)  # raises, naming keys, on any difference
        n_parameters = sum(p.numel() for p in model.parameters())
        assert n_parameters == entry["n_parameters"], name
        assert n_parameters == sum(torch.Size(s).numel() for s in shapes.values())


@pytest.mark.parametrize(("n_vocab", "expected"), [(148, 28_623_889), (149, 28_624_081)])
def test_base_preset_has_the_published_size(n_vocab: int, expected: int) -> None:
    with torch.device("meta"):
        model = GlowTTS(ModelConfig.base(n_vocab=n_vocab))
    assert sum(p.numel() for p in model.parameters()) == expected
