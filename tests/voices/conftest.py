"""Fixtures for voice/Hub tests: the tiny voice's files, a Hub repo serving them, temp catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hubserver import HubServer
from tests.voices.catalog_files import REPO


@pytest.fixture(scope="session")
def voice_files(tiny_voice_dir: Path) -> dict[str, bytes]:
    """Every file of the tiny voice (config.json, model.safetensors, README.md), by name."""
    return {p.name: p.read_bytes() for p in sorted(tiny_voice_dir.iterdir()) if p.is_file()}


@pytest.fixture
def hub_voice(hub_server: HubServer, voice_files: dict[str, bytes]) -> str:
    """``org/tiny`` on the local Hub holding the tiny voice; returns its commit sha."""
    return hub_server.add_repo(REPO, voice_files)
