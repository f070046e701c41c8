"""The Hub client's failures as our errors: one line saying what happened, a hint naming the fix.

Every exception of ``huggingface_hub`` (and of the HTTP library under it) that a download or a
push can meet is translated here, once, and raised by the caller with ``from e``.
"""

from __future__ import annotations

from glowtts_cli.errors import GlowTTSError, OfflineError, VoiceNotFoundError
from glowtts_cli.hub_cache import known_repos
from glowtts_cli.hub_reach import offline_mode
from glowtts_cli.voices import suggest


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
            f"'{repo_id}{at}' is not a valid Hub repo name: {one_line(e)}",
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
            + did_you_mean(repo_id, known_repos()),
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
        offline = "offline mode is on (HF_HUB_OFFLINE=1)"
        why = offline if offline_mode() else "the Hub cannot be reached"
        return not_cached(name, why, again=again)
    if isinstance(e, HfHubHTTPError):
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in (401, 403):
            return VoiceNotFoundError(
                f"No permission to download {repo_id} (HTTP {status}).",
                hint="Log in with `hf auth login` or set HF_TOKEN to a token that can read it.",
            )
        return GlowTTSError(
            f"Download of {repo_id}/{filename} failed: {one_line(e)}",
            hint=f"The Hub may be busy: run {again} again later.",
        )
    if isinstance(e, OSError) and e.errno is not None:
        return GlowTTSError(
            f"Cannot store {repo_id}/{filename} in the Hugging Face cache: {one_line(e)}",
            hint="Check the free disk space and the permissions of the cache (HF_HOME).",
        )
    if isinstance(e, OSError) or is_transfer_error(e):  # incomplete body, reset connection...
        return OfflineError(
            f"Download of {repo_id}/{filename} was interrupted "
            f"({type(e).__name__}: {one_line(e)}).",
            hint=f"Check the connection and run {again} again; finished files are kept.",
        )
    return None


def not_cached(name: str, why: str, *, again: str | None = None) -> OfflineError:
    """A voice that must be downloaded cannot be: ``why`` (offline mode, no answer)."""
    again = again or f"`glowtts voices download {name}`"
    return OfflineError(
        f"Voice '{name}' is not in the local cache and {why}.",
        hint=f"Connect to the network (check HF_ENDPOINT and any proxy) and run {again} once; "
        "it then works offline.",
    )


def is_transfer_error(e: BaseException) -> bool:
    """A transport failure of the HTTP library the Hub client uses (httpx2, httpx, requests)."""
    return any(
        cls.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "requests", "urllib3")
        for cls in type(e).__mro__
    )


def one_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    text = lines[0] if lines else type(e).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def did_you_mean(name: str, candidates: list[str]) -> str:
    close = suggest(name, candidates)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
