"""The voices in the local Hugging Face cache: is a voice there (no network), list, remove.

The cache is ``huggingface_hub``'s (``HF_HOME``/``HF_HUB_CACHE``); we keep none of our own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glowtts_cli.errors import ConfigError
from glowtts_cli.voice_folder import CARD_FILE, CONFIG_FILE, MODEL_FILE, VOCODER_FILE, VOICE_FILES
from glowtts_cli.voices import CatalogEntry, bundled_voice_dir, load_catalog, suggest

OPTIONAL_FILES = (VOCODER_FILE, CARD_FILE)
"""Voice files a Hub repo may lack; config.json and model.safetensors are required."""


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


def cached_repo_dir(repo_id: str, commit: str) -> Path | None:
    """The cached snapshot of a voice repo at ``commit`` if it is complete; no network.

    Complete means config.json and model.safetensors are cached and each optional file is
    either cached or known to be absent from that commit.
    """
    from huggingface_hub import try_to_load_from_cache

    hits = {f: try_to_load_from_cache(repo_id, f, revision=commit) for f in VOICE_FILES}
    config = hits[CONFIG_FILE]
    if not isinstance(config, str) or not isinstance(hits[MODEL_FILE], str):
        return None
    if any(hits[f] is None for f in OPTIONAL_FILES):  # neither cached nor known absent
        return None
    return Path(config).parent


def entry_status(entry: CatalogEntry) -> dict[str, Any]:
    """Whether a catalog voice is available offline, and its size on disk."""
    if entry.bundled:
        folder: Path | None = bundled_voice_dir(entry)
        if folder is not None and not all((folder / f).is_file() for f in entry.files):
            folder = None
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


MIN_REVISION_PREFIX = 4
"""Fewest hex characters that may name a cached commit (as git)."""


def cached_revisions(repo_id: str, revision: str | None = None) -> list[str]:
    """Cached commits of a Hub repo that ``revision`` names: every one (None), those the
    branch/tag ``revision`` points to, or the one commit starting with that hex prefix.

    Raises:
        ConfigError: ``revision`` is empty, too short, or starts more than one cached commit.
    """
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir()
    except CacheNotFound:
        return []
    cached = [rev for repo in info.repos if repo.repo_id == repo_id and repo.repo_type == "model"
              for rev in repo.revisions]  # fmt: skip
    if revision is None:
        return sorted(rev.commit_hash for rev in cached)
    if not revision.strip():
        raise ConfigError(
            f"An empty revision names no commit of {repo_id}.",
            hint="Give a commit (4+ hex characters), a branch or a tag after '@'.",
        )
    by_ref = sorted(rev.commit_hash for rev in cached if revision in rev.refs)
    if by_ref:
        return by_ref
    if len(revision) < MIN_REVISION_PREFIX:
        raise ConfigError(
            f"Revision '{revision}' is too short to name one commit of {repo_id}.",
            hint=f"Give at least {MIN_REVISION_PREFIX} hex characters of the commit "
            "(see `glowtts voices list`).",
        )
    found = sorted(rev.commit_hash for rev in cached if rev.commit_hash.startswith(revision))
    if len(found) > 1:
        raise ConfigError(
            f"Revision '{revision}' of {repo_id} is ambiguous: it starts {len(found)} cached "
            f"commits ({', '.join(h[:12] for h in found)}).",
            hint="Give more characters of the commit.",
        )
    return found


def remove_cached(repo_id: str, revision: str | None = None) -> tuple[int, int]:
    """Delete the cached revisions of a Hub repo that :func:`cached_revisions` finds.

    Returns:
        (revisions deleted, bytes freed); (0, 0) when nothing matched.
    """
    from huggingface_hub import scan_cache_dir

    revisions = cached_revisions(repo_id, revision)
    if not revisions:
        return 0, 0
    strategy = scan_cache_dir().delete_revisions(*revisions)
    strategy.execute()
    return len(revisions), int(strategy.expected_freed_size)


def suggest_cached(name: str) -> list[str]:
    """Close names among catalog voices and cached repos (for "not in the cache" errors)."""
    return suggest(name, [*load_catalog(), *known_repos()])


def known_repos() -> list[str]:
    """Repo ids worth suggesting: the catalog's and the cached ones (no network)."""
    repos = {e.repo_id for e in load_catalog().values() if e.repo_id}
    return sorted(repos | {v.repo_id for v in list_cached_voices()})
