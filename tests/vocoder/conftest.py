"""Vocoder fixtures: a private cache, the real V1 UNIVERSAL generator, the tiny V3 reference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.config import HiFiGANConfig
from glowtts_cli.vocoder.bundled import load_bundled
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the user's cache."""
    monkeypatch.setenv("GLOWTTS_CACHE", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def _one_thread(one_thread: None) -> None:
    """Every test here runs on one torch thread (``one_thread`` in tests/conftest.py)."""


@pytest.fixture(scope="session")
def universal_v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HiFiGANGenerator]:
    """The bundled official V1 UNIVERSAL generator, converted once into a session cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLOWTTS_CACHE", str(tmp_path_factory.mktemp("session-cache")))
        yield load_bundled("universal")


@pytest.fixture(scope="session")
def tiny_v3_dir(reference_dir: Path) -> Path:
    return reference_dir / "hifigan" / "tiny_v3"


@pytest.fixture(scope="session")
def tiny_v3_config(tiny_v3_dir: Path) -> HiFiGANConfig:
    return HiFiGANConfig.from_official(json.loads((tiny_v3_dir / "config.json").read_text()))


@pytest.fixture(scope="session")
def tiny_v3_tensors(tiny_v3_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(tiny_v3_dir / "tensors.safetensors")
