"""Vocoder weights on disk: official checkpoints (weights-only), our safetensors folders."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.config import VocoderConfig, from_dict
from glowtts_cli.errors import CheckpointError
from glowtts_cli.vocoder import load_official_checkpoint, load_vocoder_from_dir
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.weights import read_official_state_dict, save_hifigan


class NotATensor:
    """A pickled object that a weights-only load must refuse."""


def _official_folder(tmp_path: Path, tiny_vocoder_dir: Path, name: str = "g_00000100") -> Path:
    """An official training folder: config.json + g_XXXXXXXX holding {'generator': state_dict}."""
    folder = tmp_path / "official"
    folder.mkdir()
    shutil.copy(tiny_vocoder_dir / "config.json", folder / "config.json")
    state = load_file(tiny_vocoder_dir / "state_dict.safetensors")
    torch.save({"generator": state}, folder / name)
    return folder


def _assert_matches_reference(
    generator: HiFiGANGenerator, tensors: dict[str, torch.Tensor]
) -> None:
    wav = generator.vocode(tensors["mel"])
    torch.testing.assert_close(wav, tensors["audio"].squeeze(1), rtol=1e-5, atol=1e-6)


def test_official_folder_and_file(
    tmp_path: Path, tiny_vocoder_dir: Path, tiny_vocoder_tensors
) -> None:
    folder = _official_folder(tmp_path, tiny_vocoder_dir)
    _assert_matches_reference(load_vocoder_from_dir(folder), tiny_vocoder_tensors)
    _assert_matches_reference(load_vocoder_from_dir(folder / "g_00000100"), tiny_vocoder_tensors)
    generator = load_official_checkpoint(folder / "g_00000100", folder / "config.json")
    _assert_matches_reference(generator, tiny_vocoder_tensors)
    assert not generator.training


def test_latest_official_step_wins(
    tmp_path: Path, tiny_vocoder_dir: Path, tiny_vocoder_tensors
) -> None:
    folder = _official_folder(tmp_path, tiny_vocoder_dir, name="g_00000200")
    broken = load_file(tiny_vocoder_dir / "state_dict.safetensors")
    broken["conv_pre.bias"] = broken["conv_pre.bias"] + 1.0
    torch.save({"generator": broken}, folder / "g_00000100")
    torch.save({"steps": torch.tensor(200)}, folder / "do_00000200")
    _assert_matches_reference(load_vocoder_from_dir(folder), tiny_vocoder_tensors)


def test_ambiguous_folder_asks_for_the_file(tmp_path: Path, tiny_vocoder_dir: Path) -> None:
    folder = _official_folder(tmp_path, tiny_vocoder_dir, name="generator_a.pth")
    shutil.copy(folder / "generator_a.pth", folder / "generator_b.pth")
    with pytest.raises(CheckpointError, match=r"generator_a\.pth, generator_b\.pth") as err:
        load_vocoder_from_dir(folder)
    assert "checkpoint file" in (err.value.hint or "")


def test_pickled_objects_are_refused(tmp_path: Path, tiny_vocoder_dir: Path) -> None:
    path = tmp_path / "evil.pth"
    state = load_file(tiny_vocoder_dir / "state_dict.safetensors")
    torch.save({"generator": state, "payload": NotATensor()}, path)
    with pytest.raises(CheckpointError, match="weights-only"):
        read_official_state_dict(path)


def test_discriminator_file_is_not_a_generator(tmp_path: Path) -> None:
    path = tmp_path / "do_00000100"
    torch.save({"steps": 100, "epoch": 3}, path)
    with pytest.raises(CheckpointError, match="no HiFi-GAN generator"):
        read_official_state_dict(path)


def test_garbage_and_missing_checkpoints(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"definitely not a torch file")
    with pytest.raises(CheckpointError, match="Cannot read"):
        read_official_state_dict(junk)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_official_state_dict(tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_vocoder_from_dir(tmp_path / "missing")
    with pytest.raises(CheckpointError, match=r"No config\.json"):
        load_vocoder_from_dir(tmp_path)


def test_own_format_round_trip(
    tmp_path: Path, tiny_vocoder_dir: Path, tiny_vocoder_config, tiny_vocoder_tensors
) -> None:
    original = load_official_checkpoint(
        _official_folder(tmp_path, tiny_vocoder_dir) / "g_00000100", tiny_vocoder_config
    )
    out = save_hifigan(original, tmp_path / "ours")
    assert sorted(os.listdir(out)) == ["config.json", "vocoder.safetensors"]  # no temp files
    cfg = from_dict(VocoderConfig, json.loads((out / "config.json").read_text()))
    assert cfg.kind == "hifigan" and cfg.hifigan == tiny_vocoder_config
    assert not any(k.endswith("weight_g") for k in load_file(out / "vocoder.safetensors"))
    loaded = load_vocoder_from_dir(out)
    assert torch.equal(
        loaded.vocode(tiny_vocoder_tensors["mel"]), original.vocode(tiny_vocoder_tensors["mel"])
    )
    _assert_matches_reference(loaded, tiny_vocoder_tensors)


def test_safetensors_beside_an_official_config(
    tmp_path: Path, tiny_vocoder_dir: Path, tiny_vocoder_tensors
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(tiny_vocoder_dir / "config.json", folder / "config.json")
    shutil.copy(
        tiny_vocoder_dir / "state_dict_folded.safetensors", folder / "generator.safetensors"
    )
    _assert_matches_reference(load_vocoder_from_dir(folder), tiny_vocoder_tensors)
