"""Vocoder fixtures: a private cache, the real V1 generators, the reference set's tiny generators.

The reference set is read generically: every folder under ``hifigan/`` with ``config.json``,
``state_dict.safetensors`` and ``tensors.safetensors`` is a tiny generator (``tiny_vocoder_*``
fixtures are parametrized over them), and every ``hifigan/*.safetensors`` holding ``mel`` and
``audio`` is the output of real official weights (matched to a bundled generator by its audio).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.config import HiFiGANConfig
from glowtts_cli.vocoder.bundled import BUNDLED, load_bundled
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from tests.reference_sets import (
    TINY_VOCODER_FILES,
    real_vocoder_goldens,
    reference_path,
    tiny_vocoder_folders,
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the user's cache."""
    monkeypatch.setenv("GLOWTTS_CACHE", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def _one_thread(one_thread: None) -> None:
    """Every test here runs on one torch thread (``one_thread`` in tests/conftest.py)."""


@pytest.fixture(scope="session")
def bundled_v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, HiFiGANGenerator]]:
    """Every bundled official V1 generator, by name, converted once into a session cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLOWTTS_CACHE", str(tmp_path_factory.mktemp("session-cache")))
        yield {name: load_bundled(name) for name in sorted(BUNDLED)}


@pytest.fixture(scope="session")
def universal_v1(bundled_v1: dict[str, HiFiGANGenerator]) -> HiFiGANGenerator:
    """The bundled official V1 UNIVERSAL generator (the default vocoder)."""
    return bundled_v1["universal"]


@pytest.fixture(scope="session", params=real_vocoder_goldens(reference_path()) or [None])
def real_golden(request: pytest.FixtureRequest, reference_dir: Path) -> dict[str, torch.Tensor]:
    """One reference file of real official weights' output (``mel``, ``audio``, ...)."""
    if request.param is None:
        pytest.fail(f"no real-weights HiFi-GAN golden under {reference_dir / 'hifigan'}")
    return load_file(reference_dir / "hifigan" / request.param)


@pytest.fixture(scope="session", params=tiny_vocoder_folders(reference_path()) or [None])
def tiny_vocoder_dir(request: pytest.FixtureRequest, reference_dir: Path) -> Path:
    """One tiny random official generator of the reference set (e.g. resblock 1 or 2)."""
    if request.param is None:
        files = ", ".join(TINY_VOCODER_FILES)
        pytest.fail(f"no tiny HiFi-GAN folder ({files}) under {reference_dir / 'hifigan'}")
    return reference_dir / "hifigan" / str(request.param)


@pytest.fixture(scope="session")
def tiny_vocoder_config(tiny_vocoder_dir: Path) -> HiFiGANConfig:
    return HiFiGANConfig.from_official(json.loads((tiny_vocoder_dir / "config.json").read_text()))


@pytest.fixture(scope="session")
def tiny_vocoder_tensors(tiny_vocoder_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(tiny_vocoder_dir / "tensors.safetensors")
