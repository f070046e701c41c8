"""Publish a voice folder to the Hub in one commit (``glowtts voices push``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glowtts_cli.errors import ConfigError, GlowTTSError, OfflineError
from glowtts_cli.hub_errors import is_transfer_error, one_line
from glowtts_cli.hub_reach import offline_mode, unreachable
from glowtts_cli.voice_folder import (
    CARD_FILE,
    VOICE_FILES,
    check_voice,
    local_path_leaks,
    model_card,
)


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
            f"'{repo_id}' is not a Hub repo name: {one_line(e)}",
            hint="Use org/name (or name): letters, digits, '-', '_' and '.', up to 96 characters.",
        ) from e
    if offline_mode():
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
        raise GlowTTSError(f"Publishing to {repo_id} failed: {one_line(e)}", hint=hint) from e
    except Exception as e:
        if not (isinstance(e, OSError) or is_transfer_error(e)):
            raise
        raise OfflineError(
            f"Cannot publish to {repo_id}: the Hub cannot be reached ({one_line(e)}).",
            hint="Check the network (and HF_ENDPOINT), then push again; nothing was published.",
        ) from e
    return PushedVoice(url.repo_id, str(info.oid))
