"""Find a voice folder: a local path, a catalog name, or a Hugging Face Hub repo ``org/name[@rev]``.

Downloads go through ``huggingface_hub`` into the standard HF cache (``HF_HOME``/``HF_HUB_CACHE``,
``HF_HUB_OFFLINE`` honoured); we keep no cache of our own. A pinned revision that is already
cached is served without any network request. Catalog files are checked against their pinned
sha256; a mismatching file is deleted, never used. Every Hub failure becomes one of our errors,
with a one-line message and a hint naming the fix.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glowtts_cli.errors import (
    CheckpointError,
    ConfigError,
    GlowTTSError,
    OfflineError,
    VoiceNotFoundError,
)
from glowtts_cli.files import sha256_file
from glowtts_cli.hub_reach import unreachable
from glowtts_cli.voice_folder import (
    CARD_FILE,
    CONFIG_FILE,
    MODEL_FILE,
    VOCODER_FILE,
    VOICE_FILES,
    check_voice,
    local_path_leaks,
    model_card,
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
_OPTIONAL_FILES = (VOCODER_FILE, CARD_FILE)
"""Voice files a Hub repo may lack; config.json and model.safetensors are required."""


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
    match = _REPO_SPEC.match(spec)
    if match and not spec.startswith((".", "/", "~")):
        path = download_repo(match["repo"], match["rev"], name=spec)
        return ResolvedVoice(path, "hub", spec)
    raise VoiceNotFoundError(
        f"Voice '{spec}' not found: no such folder, catalog name or Hub repo."
        + _did_you_mean(spec, list(catalog)),
        hint="See `glowtts voices list`, or pass a folder or a Hub repo as org/name[@revision].",
    )


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = suggest(name, candidates)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _known_repos() -> list[str]:
    """Repo ids worth suggesting: the catalog's and the cached ones (no network)."""
    repos = {e.repo_id for e in load_catalog().values() if e.repo_id}
    return sorted(repos | {v.repo_id for v in list_cached_voices()})


# ------------------------------------------------------------------------------------- catalog
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


# ------------------------------------------------------------------------------------- any repo
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
    if any(hits[f] is None for f in _OPTIONAL_FILES):  # neither cached nor known absent
        return None
    return Path(config).parent


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
    for filename in _OPTIONAL_FILES:
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
        if not _offline() and not isinstance(
            try_to_load_from_cache(repo_id, filename, revision=revision), str
        ):
            why = unreachable()
            if why is not None:
                raise _not_cached(name, f"the Hub cannot be reached: {why}")
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


# ------------------------------------------------------------------------------------- errors
def hub_error(
    e: BaseException,
    repo_id: str,
    revision: str | None,
    *,
    filename: str,
    name: str,
    catalog: bool = False,
    again: str | None = None,
) -> GlowTTSError | None:
    """Our error for an exception of the Hub client (None: not a Hub or network failure).

    ``name`` is what the user asked for; ``again`` the command that retries (default: ``glowtts
    voices download NAME``); ``catalog`` says the revision was pinned by the catalog.
    """
    again = again or f"`glowtts voices download {name}`"
    return _lookup_error(e, repo_id, revision, filename=filename, catalog=catalog) or (
        _transfer_error(e, repo_id, filename=filename, name=name, again=again)
    )


def _lookup_error(
    e: BaseException, repo_id: str, revision: str | None, *, filename: str, catalog: bool
) -> GlowTTSError | None:
    """The Hub answered: no such repo, revision or file, or no access to it.

    Subclasses come first: GatedRepoError is a RepositoryNotFoundError and
    LocalEntryNotFoundError (a cache miss, see ``_transfer_error``) an EntryNotFoundError.
    """
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    at = f"@{revision}" if revision else ""
    stale = "The catalog entry is out of date; upgrade glowtts-cli (`pip install -U glowtts-cli`)."
    if isinstance(e, HFValidationError):
        return VoiceNotFoundError(
            f"'{repo_id}{at}' is not a valid Hub repo name: {_one_line(e)}",
            hint="A Hub voice is org/name[@revision]; see `glowtts voices list`.",
        )
    if isinstance(e, GatedRepoError):
        return VoiceNotFoundError(
            f"No permission to download {repo_id}: the repo is gated.",
            hint="Accept its terms on the Hub, then log in (`hf auth login`) or set HF_TOKEN.",
        )
    if isinstance(e, RepositoryNotFoundError):
        return VoiceNotFoundError(
            f"Hub repo '{repo_id}' not found, or it is private."
            + _did_you_mean(repo_id, _known_repos()),
            hint="Check the name with `glowtts voices list`; for a private repo set HF_TOKEN "
            "(or run `hf auth login`).",
        )
    if isinstance(e, RevisionNotFoundError):
        latest = f"`glowtts voices download {repo_id}`"
        return VoiceNotFoundError(
            f"Revision '{revision}' of {repo_id} not found.",
            hint=stale if catalog else f"Use a branch, tag or commit that exists, or {latest}.",
        )
    if isinstance(e, EntryNotFoundError) and not isinstance(e, LocalEntryNotFoundError):
        voice = "A voice repo holds config.json and model.safetensors; see `glowtts voices list`."
        return VoiceNotFoundError(
            f"{repo_id}{at} has no {filename}: it is not a glowtts voice.",
            hint=stale if catalog else voice,
        )
    return None


def _transfer_error(
    e: BaseException, repo_id: str, *, filename: str, name: str, again: str
) -> GlowTTSError | None:
    """No usable answer: offline, unreachable, refused, cut off, or the cache cannot be written."""
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    if isinstance(e, LocalEntryNotFoundError):
        why = "offline mode is on (HF_HUB_OFFLINE=1)" if _offline() else "the Hub cannot be reached"
        return _not_cached(name, why, again=again)
    if isinstance(e, HfHubHTTPError):
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in (401, 403):
            return VoiceNotFoundError(
                f"No permission to download {repo_id} (HTTP {status}).",
                hint="Log in with `hf auth login` or set HF_TOKEN to a token that can read it.",
            )
        return GlowTTSError(
            f"Download of {repo_id}/{filename} failed: {_one_line(e)}",
            hint=f"The Hub may be busy: run {again} again later.",
        )
    if isinstance(e, OSError) and e.errno is not None:
        return GlowTTSError(
            f"Cannot store {repo_id}/{filename} in the Hugging Face cache: {_one_line(e)}",
            hint="Check the free disk space and the permissions of the cache (HF_HOME).",
        )
    if isinstance(e, OSError) or _is_transfer_error(e):  # incomplete body, reset connection...
        return OfflineError(
            f"Download of {repo_id}/{filename} was interrupted "
            f"({type(e).__name__}: {_one_line(e)}).",
            hint=f"Check the connection and run {again} again; finished files are kept.",
        )
    return None


def _not_cached(name: str, why: str, *, again: str | None = None) -> OfflineError:
    """A voice that must be downloaded cannot be: ``why`` (offline mode, no answer)."""
    again = again or f"`glowtts voices download {name}`"
    return OfflineError(
        f"Voice '{name}' is not in the local cache and {why}.",
        hint=f"Connect to the network (check HF_ENDPOINT and any proxy) and run {again} once; "
        "it then works offline.",
    )


def _is_transfer_error(e: BaseException) -> bool:
    """A transport failure of the HTTP library the Hub client uses (httpx2, httpx, requests)."""
    return any(
        cls.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "requests", "urllib3")
        for cls in type(e).__mro__
    )


def _one_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    text = lines[0] if lines else type(e).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(getattr(constants, "HF_HUB_OFFLINE", False))


# ------------------------------------------------------------------------------------- cache
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
    return suggest(name, [*load_catalog(), *_known_repos()])


# ------------------------------------------------------------------------------------- publish
@dataclass(frozen=True)
class PushedVoice:
    """Where a push landed."""

    repo_id: str
    """The repo, with the namespace the Hub gave it."""
    commit: str
    """The new commit sha: ``glowtts voices download {repo_id}@{commit}`` gets exactly this."""


def push_voice(voice_dir: Path, repo_id: str, *, private: bool = False) -> PushedVoice:
    """Create ``repo_id`` if needed and upload a voice folder in one commit.

    The folder is validated first (config and strictly loading weights), and refused if its
    config or card names a local path (see ``local_path_leaks``). Its README.md is uploaded as
    it is; a folder without one gets a model card generated from its config.
    """
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError
    from huggingface_hub.utils._validators import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise ConfigError(
            f"'{repo_id}' is not a Hub repo name: {_one_line(e)}",
            hint="Use org/name (or name): letters, digits, '-', '_' and '.', up to 96 characters.",
        ) from e
    if _offline():
        raise OfflineError(
            f"Cannot publish to {repo_id}: offline mode is on (HF_HUB_OFFLINE=1).",
            hint="Unset HF_HUB_OFFLINE and push again with the network on.",
        )
    cfg = check_voice(voice_dir)  # refuse to publish something that is not a working voice
    leaks = local_path_leaks(voice_dir)
    if leaks:
        raise GlowTTSError(
            f"{voice_dir} would publish local paths: {'; '.join(leaks[:5])}"
            + (f" (and {len(leaks) - 5} more)" if len(leaks) > 5 else "")
            + ".",
            hint="They tell where and under whose account the voice was made: replace them "
            "with a name in those files (e.g. the dataset's folder name), then push again.",
        )
    why = unreachable()
    if why is not None:
        raise OfflineError(
            f"Cannot publish to {repo_id}: the Hub cannot be reached ({why}).",
            hint="Check the network (and HF_ENDPOINT), then push again; nothing was published.",
        )
    api = HfApi()
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True)
        operations = [
            CommitOperationAdd(path_in_repo=f, path_or_fileobj=str(voice_dir / f))
            for f in VOICE_FILES
            if (voice_dir / f).is_file()
        ]
        if not (voice_dir / CARD_FILE).is_file():
            card = model_card(cfg, spec=url.repo_id).encode("utf-8")
            operations.append(CommitOperationAdd(path_in_repo=CARD_FILE, path_or_fileobj=card))
        info = api.create_commit(
            url.repo_id, operations=operations, commit_message=f"Upload glowtts voice {cfg.name}"
        )
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        hint = (
            "Log in with `hf auth login` or set HF_TOKEN to a token with write access "
            "to that namespace."
            if status in (401, 403)
            else "Check the repo name (org/name) and the network, then push again."
        )
        raise GlowTTSError(f"Publishing to {repo_id} failed: {_one_line(e)}", hint=hint) from e
    except Exception as e:
        if not (isinstance(e, OSError) or _is_transfer_error(e)):
            raise
        raise OfflineError(
            f"Cannot publish to {repo_id}: the Hub cannot be reached ({_one_line(e)}).",
            hint="Check the network (and HF_ENDPOINT), then push again; nothing was published.",
        ) from e
    return PushedVoice(url.repo_id, str(info.oid))


# ------------------------------------------------------------------------------------- vocoders
def download_vocoder_repo(spec: str) -> Path:
    """Fetch a vocoder repo (``org/name[@rev]``: an official checkpoint + config.json, or our
    safetensors + config.json) and return its local folder."""
    from huggingface_hub import snapshot_download

    match = _REPO_SPEC.match(spec)
    if not match:
        raise VoiceNotFoundError(
            f"'{spec}' is not a Hub repo name.", hint="Give a vocoder as org/name[@revision]."
        )
    repo_id, revision = match["repo"], match["rev"]
    why = None if _offline() else unreachable()  # then only the cache can give it
    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=bool(why)))
    except Exception as e:
        again = "the same command"
        if why is not None:
            raise _not_cached(spec, f"the Hub cannot be reached: {why}", again=again) from e
        mapped = hub_error(e, repo_id, revision, filename="*", name=spec, again=again)
        if mapped is None:
            raise
        raise mapped from e
