"""Shared fixtures: deterministic seeds, the reference-data folder, small configs."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same random state (torch only if already imported)."""
    random.seed(1234)
    np.random.seed(1234)
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(1234)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Golden data from the official implementations: ``GLOWTTS_REFERENCE_DIR`` or the copy here."""
    path = Path(os.environ.get("GLOWTTS_REFERENCE_DIR", REPO_ROOT / "tests" / "data" / "reference"))
    if not path.is_dir():
        pytest.fail(f"reference folder {path} does not exist (GLOWTTS_REFERENCE_DIR)")
    return path
