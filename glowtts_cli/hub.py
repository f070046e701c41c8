"""Find a voice folder: a local path, a catalog name, or a Hugging Face Hub repo ``org/name[@rev]``.

Downloads go through ``huggingface_hub`` into the standard HF cache (``HF_HOME``/``HF_HUB_CACHE``,
``HF_HUB_OFFLINE`` honoured). A pinned revision that is already cached is served without any
network request. Catalog files are checked against their pinned sha256; a mismatching file is
deleted, never used.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glowtts_cli.errors import (
    CheckpointError,
    GlowTTSError,
    OfflineError,
    VoiceNotFoundError,
)
from glowtts_cli.voice_folder import (
    CARD_FILE,
    CONFIG_FILE,
    MODEL_FILE,
    VOCODER_FILE,
    VOICE_FILES,
    read_voice_config,
)
from glowtts_cli.voices import (
    CatalogEntry,
    bundled_voice_dir,
    load_catalog,
    suggest,
)

logger = logging.getLogger(__name__)

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO_SPEC = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<rev>[\w./-]+))?$")


@dataclass(frozen=True)
class ResolvedVoice:
    """Where a voice spec led: its local folder and how it was found."""

    path: Path
    """A folder holding config.json and model.safetensors."""
    origin: str
    """``local``, ``bundled``, ``catalog`` or ``hub``."""
    name: str
    """What the user asked for."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve(spec: str) -> ResolvedVoice:
    """Turn a voice spec into a local folder, downloading from the Hub if needed.

    Order: an existing local path; a catalog name; ``org/repo`` or ``org/repo@revision``.
    """
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / CONFIG_FILE).is_file():
            raise VoiceNotFoundError(
                f"{local} is not a voice folder: it has no {CONFIG_FILE}.",
                hint="Export one with `glowtts export RUN --out DIR`.",
            )
        return ResolvedVoice(local.resolve(), "local", spec)
    catalog = load_catalog()
    if spec in catalog:
        entry = catalog[spec]
        if entry.bundled:
            return ResolvedVoice(bundled_voice_dir(entry), "bundled", spec)
        return ResolvedVoice(download_entry(entry), "catalog", spec)
    match = _REPO_SPEC.match(spec)
    if match and not spec.startswith((".", "/", "~")):
        path = download_repo(match["repo"], match["rev"])
        return ResolvedVoice(path, "hub", spec)
    close = suggest(spec, list(catalog))
    did_you_mean = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise VoiceNotFoundError(
        f"Voice '{spec}' not found: no such folder, catalog name or Hub repo.{did_you_mean}",
        hint="See `glowtts voices list`, or pass a folder or a Hub repo as org/name[@revision].",
    )


def cached_entry_dir(entry: CatalogEntry) -> Path | None:
    """The cached snapshot folder of a catalog voice if every file is there; no network."""
    from huggingface_hub import try_to_load_from_cache

    folder: Path | None = None
    for filename in entry.files:
        hit = try_to_load_from_cache(entry.repo_id, filename, revision=entry.revision)
        if not isinstance(hit, str):
            return None
        folder = Path(hit).parent
    return folder


def download_entry(entry: CatalogEntry) -> Path:
    """Fetch a catalog voice at its pinned revision and verify every file's sha256."""
    cached = cached_entry_dir(entry)
    if cached is not None:
        _verify_files(entry, cached)
        return cached
    folder: Path | None = None
    for filename in entry.files:
        path = _hub_download(entry.repo_id, filename, entry.revision, name=entry.name)
        folder = path.parent
    assert folder is not None  # parse_entry guarantees files
    _verify_files(entry, folder)
    return folder


def _verify_files(entry: CatalogEntry, folder: Path) -> None:
    for filename, expected in entry.files.items():
        path = folder / filename
        actual = sha256_file(path)
        if actual != expected:
            _evict(path)
            raise CheckpointError(
                f"{entry.name}: {filename} is corrupted (sha256 {actual[:12]}… expected "
                f"{expected[:12]}…); the bad file was removed from the cache.",
                hint=f"Run `glowtts voices download {entry.name}` to fetch it again.",
            )


def _evict(path: Path) -> None:
    """Delete a cached file: the snapshot link and the blob it points to."""
    blob = path.resolve()
    for p in (path, blob):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def download_repo(repo_id: str, revision: str | None) -> Path:
    """Fetch the voice files of any Hub repo (``revision`` = branch, tag or commit)."""
    from huggingface_hub import try_to_load_from_cache

    if revision and _COMMIT.match(revision):
        hit = try_to_load_from_cache(repo_id, CONFIG_FILE, revision=revision)
        model = try_to_load_from_cache(repo_id, MODEL_FILE, revision=revision)
        if isinstance(hit, str) and isinstance(model, str):
            return Path(hit).parent
    config = _hub_download(repo_id, CONFIG_FILE, revision, name=repo_id)
    folder = config.parent
    commit = folder.name  # snapshots/<commit>/config.json
    for filename in (MODEL_FILE, VOCODER_FILE, CARD_FILE):
        try:
            _hub_download(repo_id, filename, commit, name=repo_id)
        except VoiceNotFoundError:
            if filename == MODEL_FILE:
                raise
    return folder


def _hub_download(repo_id: str, filename: str, revision: str | None, *, name: str) -> Path:
    """One ``hf_hub_download`` with the Hub's errors mapped to ours."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    at = f"@{revision}" if revision else ""
    try:
        return Path(hf_hub_download(repo_id, filename, revision=revision))
    except GatedRepoError as e:
        raise VoiceNotFoundError(
            f"No permission to download {repo_id}{at}: the repo is gated or private.",
            hint="Accept its terms on the Hub and log in (`hf auth login` or set HF_TOKEN).",
        ) from e
    except RepositoryNotFoundError as e:
        raise VoiceNotFoundError(
            f"Hub repo '{repo_id}' not found (or it is private).",
            hint="Check the name with `glowtts voices list`; for a private repo set HF_TOKEN.",
        ) from e
    except RevisionNotFoundError as e:
        raise VoiceNotFoundError(
            f"Revision '{revision}' of {repo_id} not found.",
            hint="Use a branch, tag or commit that exists, or leave @revision out.",
        ) from e
    # LocalEntryNotFoundError subclasses EntryNotFoundError: it must be caught first.
    except LocalEntryNotFoundError as e:
        offline = _offline()
        why = "offline mode is on (HF_HUB_OFFLINE)" if offline else "the Hub could not be reached"
        raise OfflineError(
            f"Voice '{name}' is not in the local cache and {why}.",
            hint=f"Connect and run `glowtts voices download {name}` once; it then works offline.",
        ) from e
    except EntryNotFoundError as e:
        raise VoiceNotFoundError(
            f"{repo_id}{at} has no {filename}: it is not a glowtts voice.",
            hint="A voice repo holds config.json and model.safetensors.",
        ) from e
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in (401, 403):
            raise VoiceNotFoundError(
                f"No permission to download {repo_id}{at} (HTTP {status}).",
                hint="Log in with `hf auth login` or set HF_TOKEN to a token that can read it.",
            ) from e
        raise GlowTTSError(f"Download of {repo_id}/{filename} failed: {e}") from e
    except OSError as e:
        raise GlowTTSError(
            f"Download of {repo_id}/{filename} failed: {e}",
            hint="Check the disk space and the permissions of the HF cache (HF_HOME).",
        ) from e


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def entry_status(entry: CatalogEntry) -> dict[str, Any]:
    """Whether a catalog voice is available offline, and its size on disk."""
    if entry.bundled:
        folder: Path | None = bundled_voice_dir(entry)
    else:
        folder = cached_entry_dir(entry)
    size = sum((folder / f).stat().st_size for f in entry.files) if folder else 0
    return {"available": folder is not None, "path": str(folder) if folder else None, "bytes": size}


@dataclass(frozen=True)
class CachedVoice:
    """A voice snapshot found in the local HF cache."""

    repo_id: str
    """Hub repo."""
    revision: str
    """Commit of the snapshot."""
    path: Path
    """The snapshot folder."""
    bytes: int
    """Size on disk."""


def list_cached_voices() -> list[CachedVoice]:
    """Every cached Hub snapshot that holds a glowtts voice (config.json + model.safetensors)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir()
    except CacheNotFound:
        return []
    found = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        for rev in repo.revisions:
            names = {f.file_name for f in rev.files}
            if {CONFIG_FILE, MODEL_FILE} <= names:
                found.append(
                    CachedVoice(repo.repo_id, rev.commit_hash, rev.snapshot_path, rev.size_on_disk)
                )
    return sorted(found, key=lambda v: (v.repo_id, v.revision))


def remove_cached(repo_id: str) -> int:
    """Delete every cached revision of a Hub repo; returns the bytes freed (0 if none cached)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir()
    except CacheNotFound:
        return 0
    revisions = [
        rev.commit_hash for repo in info.repos if repo.repo_id == repo_id for rev in repo.revisions
    ]
    if not revisions:
        return 0
    strategy = info.delete_revisions(*revisions)
    strategy.execute()
    return int(strategy.expected_freed_size)


def push_voice(voice_dir: Path, repo_id: str, *, private: bool = False) -> str:
    """Create ``repo_id`` if needed and upload a voice folder; returns the new commit sha."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    read_voice_config(voice_dir)  # refuse to publish something that is not a valid voice
    if not (voice_dir / MODEL_FILE).is_file():
        raise VoiceNotFoundError(f"{voice_dir} has no {MODEL_FILE}; nothing to publish.")
    api = HfApi()
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=voice_dir,
            allow_patterns=list(VOICE_FILES),
            commit_message="Upload glowtts voice",
        )
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        hint = (
            "Log in with `hf auth login` or set HF_TOKEN to a token with write access."
            if status in (401, 403)
            else "Check the repo name and your network."
        )
        raise GlowTTSError(f"Publishing to {repo_id} failed: {e}", hint=hint) from e
    return str(getattr(commit, "oid", ""))


def download_vocoder_repo(spec: str) -> Path:
    """Fetch a vocoder repo (``org/name[@rev]``: an official checkpoint + config.json, or our
    safetensors + config.json) and return its local folder."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    match = _REPO_SPEC.match(spec)
    if not match:
        raise VoiceNotFoundError(f"'{spec}' is not a Hub repo name (org/name[@revision]).")
    repo_id, revision = match["repo"], match["rev"]
    try:
        return Path(snapshot_download(repo_id, revision=revision))
    except LocalEntryNotFoundError as e:
        raise OfflineError(
            f"Vocoder '{spec}' is not in the local cache and the Hub cannot be reached.",
            hint="Connect once to download it; it then works offline.",
        ) from e
    except (RepositoryNotFoundError, RevisionNotFoundError) as e:
        raise VoiceNotFoundError(
            f"Vocoder repo '{spec}' not found.", hint="Check the name and revision."
        ) from e
