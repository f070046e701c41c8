"""Helpers for voice tests: the test repo name, catalog entries and catalog folders."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = "org/tiny"
"""The Hub repo the ``hub_voice`` fixture creates."""


def catalog_entry(
    name: str, repo_id: str, revision: str, files: Mapping[str, bytes], **extra: Any
) -> dict[str, Any]:
    """A valid catalog entry pinning ``repo_id@revision`` and the sha256 of ``files``."""
    return {
        "name": name,
        "description": "Tiny test voice.",
        "language": "en-us",
        "sample_rate": 22050,
        "license": "MIT",
        "repo_id": repo_id,
        "revision": revision,
        "files": {f: hashlib.sha256(data).hexdigest() for f, data in files.items()},
        **extra,
    }


def write_catalog(root: Path, *entries: Mapping[str, Any]) -> Path:
    """A catalog folder with one ``<name>.json`` per entry (plus a README, as the real one)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# Voice catalog\n")
    for entry in entries:
        (root / f"{entry['name']}.json").write_text(json.dumps(entry, indent=2))
    return root
