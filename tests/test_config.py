"""Config dataclasses: presets, strict JSON round trip, clear errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from glowtts_cli.config import (
    AudioConfig,
    EncoderConfig,
    HiFiGANConfig,
    ModelConfig,
    from_dict,
    load_json,
    save_json,
    to_dict,
)
from glowtts_cli.errors import ConfigError
from tests.reference_sets import reference_path, tiny_vocoder_folders


@pytest.mark.parametrize("name", ["base", "small", "tiny"])
def test_presets_round_trip_through_json(name: str, tmp_path: Path) -> None:
    cfg = ModelConfig.preset(name)
    save_json(cfg, tmp_path / "c.json")
    assert load_json(ModelConfig, tmp_path / "c.json") == cfg


def test_unknown_key_is_named_with_closest_match() -> None:
    data = to_dict(ModelConfig.tiny())
    data["encoder"]["hiden_channels"] = 3
    with pytest.raises(ConfigError, match=r"hiden_channels.*did you mean 'hidden_channels'"):
        from_dict(ModelConfig, data)


def test_wrong_type_is_an_error() -> None:
    with pytest.raises(ConfigError, match="expected an integer"):
        from_dict(EncoderConfig, {"n_layers": "six"})


def test_cross_field_checks() -> None:
    with pytest.raises(ConfigError, match="divisible"):
        EncoderConfig(hidden_channels=33, n_heads=2)
    with pytest.raises(ConfigError, match="gin_channels"):
        ModelConfig(n_speakers=4)
    with pytest.raises(ConfigError, match="fmax"):
        AudioConfig(fmax=20000.0)


def test_unknown_preset_suggests() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'small'"):
        ModelConfig.preset("smal")


def test_official_base_json_maps_to_base_preset() -> None:
    official = {
        "hidden_channels": 192, "filter_channels": 768, "filter_channels_dp": 256,
        "kernel_size": 3, "p_dropout": 0.1, "n_blocks_dec": 12, "n_layers_enc": 6,
        "n_heads": 2, "p_dropout_dec": 0.05, "dilation_rate": 1, "kernel_size_dec": 5,
        "n_block_layers": 4, "n_sqz": 2, "prenet": True, "mean_only": True,
        "hidden_channels_enc": 192, "hidden_channels_dec": 192, "window_size": 4,
        "n_vocab": 148, "out_channels": 80,
    }  # fmt: skip
    assert ModelConfig.from_official(official) == ModelConfig.base()


@pytest.mark.parametrize("folder", tiny_vocoder_folders(reference_path()) or ["(none)"])
def test_hifigan_official_config(reference_dir: Path, folder: str) -> None:
    """Every official config of the reference set reads field for field (resblock 2, hop 256
    and 32 initial channels in the default set's tiny_v3)."""
    data = json.loads((reference_dir / "hifigan" / folder / "config.json").read_text())
    cfg = HiFiGANConfig.from_official(data)
    assert cfg.resblock == str(data["resblock"]) and cfg.resblock in ("1", "2")
    assert cfg.upsample_initial_channel == data["upsample_initial_channel"]
    assert cfg.upsample_rates == tuple(data["upsample_rates"])
    assert cfg.hop_length == data["hop_size"] == math.prod(data["upsample_rates"])
    assert cfg.resblock_dilation_sizes == tuple(tuple(d) for d in data["resblock_dilation_sizes"])
    assert HiFiGANConfig.v1().hop_length == 256 and HiFiGANConfig.v3().hop_length == 256
