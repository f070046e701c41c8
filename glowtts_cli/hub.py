"""Find a voice folder: a local path, a catalog name, or a Hugging Face Hub repo ``org/name[@rev]``.

Resolution only: the downloads are ``hub_download``'s, the Hub's errors ``hub_errors``'s, the
cache's listing and removal ``hub_cache``'s and publishing ``hub_publish``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from glowtts_cli.errors import VoiceNotFoundError
from glowtts_cli.hub_download import REPO_SPEC, download_entry, download_repo
from glowtts_cli.hub_errors import did_you_mean
from glowtts_cli.voice_folder import CONFIG_FILE
from glowtts_cli.voices import CatalogEntry, bundled_voice_dir, load_catalog


@dataclass(frozen=True)
class ResolvedVoice:
    """Where a voice spec led: its local folder and how it was found."""

    path: Path
    """A folder holding config.json and model.safetensors."""
    origin: str
    """``local``, ``bundled``, ``catalog`` or ``hub``."""
    name: str
    """What the user asked for."""


def resolve(spec: str, *, catalog: Mapping[str, CatalogEntry] | None = None) -> ResolvedVoice:
    """Turn a voice spec into a local folder, downloading from the Hub if needed.

    Order: an existing local path; a catalog name; ``org/repo`` or ``org/repo@revision``.
    ``catalog`` defaults to the packaged one.
    """
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / CONFIG_FILE).is_file():
            raise VoiceNotFoundError(
                f"{local} is not a voice folder: it has no {CONFIG_FILE}.",
                hint="A voice folder holds config.json and model.safetensors; "
                "see `glowtts voices list`.",
            )
        return ResolvedVoice(local.resolve(), "local", spec)
    if local.is_file():
        raise VoiceNotFoundError(
            f"{local} is a file, not a voice folder.",
            hint="Pass the folder that holds config.json and model.safetensors.",
        )
    catalog = load_catalog() if catalog is None else catalog
    if spec in catalog:
        entry = catalog[spec]
        if entry.bundled:
            return ResolvedVoice(bundled_voice_dir(entry), "bundled", spec)
        return ResolvedVoice(download_entry(entry), "catalog", spec)
    match = REPO_SPEC.match(spec)
    if match and not spec.startswith((".", "/", "~")):
        path = download_repo(match["repo"], match["rev"], name=spec)
        return ResolvedVoice(path, "hub", spec)
    raise VoiceNotFoundError(
        f"Voice '{spec}' not found: no such folder, catalog name or Hub repo."
        + did_you_mean(spec, list(catalog)),
        hint="See `glowtts voices list`, or pass a folder or a Hub repo as org/name[@revision].",
    )
