"""Download a voice from the Hub: a catalog voice at its pinned revision, any voice repo, a vocoder.

Downloads go through ``huggingface_hub`` into the standard HF cache (``HF_HOME``/``HF_HUB_CACHE``,
``HF_HUB_OFFLINE`` honoured); we keep no cache of our own. A pinned revision that is already
cached is served without any network request. Catalog files are checked against their pinned
sha256; a mismatching file is deleted, never used. Every Hub failure becomes one of our errors
(see ``hub_errors``).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from glowtts_cli.errors import CheckpointError, GlowTTSError, VoiceNotFoundError
from glowtts_cli.files import sha256_file
from glowtts_cli.hub_cache import OPTIONAL_FILES, cached_entry_dir, cached_repo_dir
from glowtts_cli.hub_errors import hub_error, not_cached
from glowtts_cli.hub_reach import offline_mode, unreachable
from glowtts_cli.voice_folder import CONFIG_FILE, MODEL_FILE
from glowtts_cli.voices import CatalogEntry

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
REPO_SPEC = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<rev>[\w./-]+))?$")
"""``org/name`` or ``org/name@revision``."""


def download_entry(entry: CatalogEntry) -> Path:
    """Fetch a catalog voice at its pinned revision and verify every file's sha256.

    A cached voice makes no request at all. A file whose sha256 differs from the catalog's is
    deleted from the cache, so the next attempt downloads it again.
    """
    cached = cached_entry_dir(entry)
    if cached is not None:
        _verify_files(entry, cached)
        return cached
    paths = [
        _fetch(entry.repo_id, filename, entry.revision, name=entry.name, catalog=True)
        for filename in entry.files
    ]
    folder = paths[0].parent  # every file of one revision lies in one snapshot folder
    _verify_files(entry, folder)
    return folder


def _verify_files(entry: CatalogEntry, folder: Path) -> None:
    bad = []
    for filename, expected in entry.files.items():
        path = folder / filename
        actual = sha256_file(path)
        if actual != expected:
            _evict(path)
            bad.append(f"{filename} (sha256 {actual[:12]}…, expected {expected[:12]}…)")
    if bad:
        raise CheckpointError(
            f"Voice '{entry.name}': {', '.join(bad)} corrupted; removed from the cache.",
            hint=f"Run `glowtts voices download {entry.name}` to fetch it again.",
        )


def _evict(path: Path) -> None:
    """Delete a cached file: the snapshot link and the blob it points to."""
    blob = path.resolve()
    for p in (path, blob):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def download_repo(repo_id: str, revision: str | None, *, name: str | None = None) -> Path:
    """Fetch the voice files of any Hub repo (``revision`` = branch, tag or commit).

    A commit that is fully cached costs no request; a branch or tag costs one HEAD request
    (to learn where it points now), or none with ``HF_HUB_OFFLINE=1``.
    """
    name = name or (f"{repo_id}@{revision}" if revision else repo_id)
    if revision and _COMMIT.match(revision):
        cached = cached_repo_dir(repo_id, revision)
        if cached is not None:
            return cached
    folder = _fetch(repo_id, CONFIG_FILE, revision, name=name).parent
    commit = folder.name  # snapshots/<commit>/config.json
    _fetch(repo_id, MODEL_FILE, commit, name=name)
    for filename in OPTIONAL_FILES:
        _fetch_optional(repo_id, filename, commit, name=name)
    return folder


def _fetch(
    repo_id: str, filename: str, revision: str | None, *, name: str, catalog: bool = False
) -> Path:
    """One required file, downloaded (or found in the cache) by ``hf_hub_download``."""
    path = _download(repo_id, filename, revision, name=name, catalog=catalog, optional=False)
    assert path is not None  # only optional files may be missing
    return path


def _fetch_optional(repo_id: str, filename: str, commit: str, *, name: str) -> Path | None:
    """A file the repo may lack: None if it has none (remembered in the cache: no request)."""
    from huggingface_hub import try_to_load_from_cache

    hit = try_to_load_from_cache(repo_id, filename, revision=commit)
    if isinstance(hit, str):
        return Path(hit)
    if hit is not None:  # cached as "not in this commit"
        return None
    return _download(repo_id, filename, commit, name=name, optional=True)


def _download(
    repo_id: str,
    filename: str,
    revision: str | None,
    *,
    name: str,
    catalog: bool = False,
    optional: bool = False,
) -> Path | None:
    """``hf_hub_download`` with the Hub's errors mapped to ours (a missing optional file: None).

    A file the cache cannot give is asked for only once the Hub answers a connection (see
    ``hub_reach``): otherwise the client would retry for 23 s before failing.
    """
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    try:
        if not offline_mode() and not isinstance(
            try_to_load_from_cache(repo_id, filename, revision=revision), str
        ):
            why = unreachable()
            if why is not None:
                raise not_cached(name, f"the Hub cannot be reached: {why}")
        return Path(hf_hub_download(repo_id, filename, revision=revision))
    except GlowTTSError:
        raise
    except Exception as e:
        missing = isinstance(e, EntryNotFoundError) and not isinstance(e, LocalEntryNotFoundError)
        if optional and missing:
            return None
        mapped = hub_error(e, repo_id, revision, filename=filename, name=name, catalog=catalog)
        if mapped is None:
            raise
        raise mapped from e


def download_vocoder_repo(spec: str) -> Path:
    """Fetch a vocoder repo (``org/name[@rev]``: an official checkpoint + config.json, or our
    safetensors + config.json) and return its local folder."""
    from huggingface_hub import snapshot_download

    match = REPO_SPEC.match(spec)
    if not match:
        raise VoiceNotFoundError(
            f"'{spec}' is not a Hub repo name.", hint="Give a vocoder as org/name[@revision]."
        )
    repo_id, revision = match["repo"], match["rev"]
    why = None if offline_mode() else unreachable()  # then only the cache can give it
    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=bool(why)))
    except Exception as e:
        again = "the same command"
        if why is not None:
            raise not_cached(spec, f"the Hub cannot be reached: {why}", again=again) from e
        mapped = hub_error(e, repo_id, revision, filename="*", name=spec, again=again)
        if mapped is None:
            raise
        raise mapped from e
