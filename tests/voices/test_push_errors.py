"""Issue 18 item 7: ``voices push`` with a bad repo name or in offline mode is one clear error,
raised before anything is read or sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from glowtts_cli.errors import ConfigError, OfflineError
from glowtts_cli.hub_publish import push_voice


@pytest.mark.parametrize("repo_id", ["bad repo", "-x/y", "a/b/c", ""])
def test_issue_18_bad_repo_name(repo_id: str, tiny_voice_dir: Path) -> None:
    with pytest.raises(ConfigError, match="is not a Hub repo name"):
        push_voice(tiny_voice_dir, repo_id)


def test_issue_18_offline_push(tiny_voice_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(OfflineError, match=r"offline mode is on \(HF_HUB_OFFLINE=1\)"):
        push_voice(tiny_voice_dir, "org/voice")
