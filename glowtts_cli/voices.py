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
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
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


_REQUIRED: Any = object()


def _field(data: dict[str, Any], key: str, kind: type, where: str, default: Any = _REQUIRED) -> Any:
    """``data[key]`` checked against a JSON type; ``default`` when absent (required if none)."""
    if key not in data:
        if default is _REQUIRED:
            raise ConfigError(f"{where}: missing catalog key '{key}'")
        return default
    value = data[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{where}: '{key}' must be a {kind.__name__}, got {value!r}")
    return value


def parse_entry(data: Any, *, where: str) -> CatalogEntry:
    """Validate one catalog JSON object; every problem is a ConfigError naming the file."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a catalog entry must be a JSON object")
    unknown = sorted(set(data) - _ENTRY_KEYS)
    if unknown:
        close = {k: suggest(k, sorted(_ENTRY_KEYS)) for k in unknown}
        named = ", ".join(k + (f" (did you mean {c[0]!r}?)" if c else "") for k, c in close.items())
        raise ConfigError(f"{where}: unknown catalog key(s) {named}")
    speakers = _field(data, "speakers", list, where, [])
    files = _field(data, "files", dict, where)
    if not all(isinstance(s, str) for s in speakers):
        raise ConfigError(f"{where}: 'speakers' must be a list of names")
    entry = CatalogEntry(
        name=_field(data, "name", str, where),
        description=_field(data, "description", str, where, ""),
        language=_field(data, "language", str, where),
        sample_rate=_field(data, "sample_rate", int, where),
        license=_field(data, "license", str, where),
        speakers=tuple(speakers),
        bundled=_field(data, "bundled", bool, where, False),
        repo_id=_field(data, "repo_id", str, where, ""),
        revision=_field(data, "revision", str, where, ""),
        files={str(k): v for k, v in files.items()},
    )
    _check_entry(entry, where)
    return entry


def _check_entry(entry: CatalogEntry, where: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", entry.name):
        raise ConfigError(f"{where}: name {entry.name!r} must use a-z, 0-9, '-', '_' or '.'")
    if not entry.language or entry.sample_rate <= 0 or not entry.license:
        raise ConfigError(f"{where}: language and license must be set and sample_rate positive")
    if entry.bundled == bool(entry.repo_id):
        raise ConfigError(f"{where}: an entry is either bundled or names a repo_id, not both")
    if entry.bundled and entry.revision:
        raise ConfigError(f"{where}: a bundled entry has no revision")
    bad_names = [f for f in entry.files if not _FILE_NAME.match(f)]
    if bad_names:
        raise ConfigError(f"{where}: bad file name(s) {', '.join(map(repr, bad_names))}")
    if not entry.files or any(
        not isinstance(h, str) or not _SHA256.match(h) for h in entry.files.values()
    ):
        raise ConfigError(f"{where}: 'files' must map each file name to its sha256 (64 hex)")
    if "config.json" not in entry.files or "model.safetensors" not in entry.files:
        raise ConfigError(f"{where}: 'files' must include config.json and model.safetensors")
    if entry.repo_id and (not _REPO_ID.match(entry.repo_id) or not _COMMIT.match(entry.revision)):
        raise ConfigError(f"{where}: a Hub entry needs repo_id 'org/name' and a 40-hex revision")


def read_catalog(root: Path) -> dict[str, CatalogEntry]:
    """Every entry of a catalog folder (``<name>.json`` files) by name, validated; no caching."""
    entries: dict[str, CatalogEntry] = {}
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"{path}: unreadable catalog entry ({e})") from e
        entry = parse_entry(data, where=str(path))
        if entry.name != path.stem:
            raise ConfigError(f"{path}: the file must be named after the voice ('{entry.name}')")
        entries[entry.name] = entry
    return entries


@functools.cache
def load_catalog() -> dict[str, CatalogEntry]:
    """All entries of the packaged catalog by name (read once per process)."""
    return read_catalog(catalog_root())


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


def default_voice(*, flag: str = "--voice") -> str:
    """The voice to use when none is asked for: :func:`default_voice_name`, or an error.

    Args:
        flag: how the caller's users give a voice (``--voice``, ``--from``), for the message.

    Raises:
        VoiceNotFoundError: no voice ships with the package.
    """
    name = default_voice_name()
    if name is None:
        raise VoiceNotFoundError(
            f"No voice is installed yet, and none was given with {flag}.",
            hint=f"Pass {flag} with a voice folder or Hub repo org/name (see `glowtts voices "
            "list`), or import the official LJSpeech model with `glowtts voices "
            "import-official pretrained.pth --out DIR`.",
        )
    return name
