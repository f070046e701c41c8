"""The voice catalog shipped inside the package: list entries, look one up, suggest close names.

Entries are JSON files in the repository's top-level ``voices/`` folder, shipped in the wheel as
``glowtts_cli/_voices``. An entry either names a voice bundled in that folder or pins a Hugging
Face Hub repo to a commit and the sha256 of every file. No torch here: listing stays fast.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from glowtts_cli.errors import ConfigError, VoiceNotFoundError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_ENTRY_KEYS = {
    "name", "description", "language", "sample_rate", "license", "speakers", "bundled",
    "repo_id", "revision", "files",
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """One catalog voice: bundled in the package, or a Hub repo pinned to a commit."""

    name: str
    """The name users type (``glowtts say --voice NAME``)."""
    description: str
    """One line for listings."""
    language: str
    """Language tag."""
    sample_rate: int
    """Output sample rate in Hz."""
    license: str
    """License of the weights."""
    speakers: tuple[str, ...] = ()
    """Speaker names (empty for single-speaker voices)."""
    bundled: bool = False
    """True when the voice folder ships inside the package."""
    repo_id: str = ""
    """Hub repo (``org/name``) for downloadable voices."""
    revision: str = ""
    """The pinned 40-hex commit of that repo."""
    files: dict[str, str] = field(default_factory=dict)
    """File name -> sha256 for every file of the voice."""


def catalog_root() -> Path:
    """Packaged catalog folder (``glowtts_cli/_voices``); in a source checkout, ``voices/``."""
    packaged = resources.files("glowtts_cli").joinpath("_voices")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "voices"


def bundled_voice_dir(entry: CatalogEntry) -> Path:
    """Where a bundled voice's files live."""
    return catalog_root() / entry.name


def parse_entry(data: Any, *, where: str) -> CatalogEntry:
    """Validate one catalog JSON object; every problem is a ConfigError naming the file."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a catalog entry must be a JSON object")
    unknown = sorted(set(data) - _ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown catalog key(s) {', '.join(unknown)}")
    try:
        entry = CatalogEntry(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            language=str(data["language"]),
            sample_rate=int(data["sample_rate"]),
            license=str(data["license"]),
            speakers=tuple(str(s) for s in data.get("speakers", ())),
            bundled=bool(data.get("bundled", False)),
            repo_id=str(data.get("repo_id", "")),
            revision=str(data.get("revision", "")),
            files={str(k): str(v) for k, v in data.get("files", {}).items()},
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(f"{where}: invalid catalog entry ({e!r})") from e
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", entry.name):
        raise ConfigError(f"{where}: name {entry.name!r} must use a-z, 0-9, '-', '_' or '.'")
    if entry.bundled == bool(entry.repo_id):
        raise ConfigError(f"{where}: an entry is either bundled or names a repo_id, not both")
    if not entry.files or any(not _SHA256.match(h) for h in entry.files.values()):
        raise ConfigError(f"{where}: 'files' must map each file name to its sha256")
    if "config.json" not in entry.files or "model.safetensors" not in entry.files:
        raise ConfigError(f"{where}: 'files' must include config.json and model.safetensors")
    if entry.repo_id and (not _REPO_ID.match(entry.repo_id) or not _COMMIT.match(entry.revision)):
        raise ConfigError(f"{where}: a Hub entry needs repo_id 'org/name' and a 40-hex revision")
    return entry


@functools.cache
def load_catalog() -> dict[str, CatalogEntry]:
    """All catalog entries by name, read from the packaged JSON files."""
    entries: dict[str, CatalogEntry] = {}
    root = catalog_root()
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"{path}: unreadable catalog entry ({e})") from e
        entry = parse_entry(data, where=str(path))
        if entry.name != path.stem:
            raise ConfigError(f"{path}: the file must be named after the voice ('{entry.name}')")
        entries[entry.name] = entry
    return entries


def suggest(name: str, candidates: list[str]) -> list[str]:
    """Up to three close names, best first."""
    return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)


def get_entry(name: str) -> CatalogEntry:
    """A catalog entry by exact name, or VoiceNotFoundError with suggestions."""
    catalog = load_catalog()
    if name in catalog:
        return catalog[name]
    close = suggest(name, list(catalog))
    did_you_mean = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise VoiceNotFoundError(
        f"Voice '{name}' not found.{did_you_mean}",
        hint="See `glowtts voices list`; a voice can also be a folder path or a Hub repo org/name.",
    )


def default_voice_name() -> str | None:
    """The first bundled voice, used when no ``--voice`` is given; None if none ships."""
    for entry in load_catalog().values():
        if entry.bundled:
            return entry.name
    return None
