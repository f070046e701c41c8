"""Issue 18 item 11: an unreachable Hub is one line at once, not six "Retrying" lines over 23 s.

The real client against the local Hub (tests/hubserver.py), which is then stopped: its port is
closed, as for a wrong ``HF_ENDPOINT`` or a Hub behind a firewall that refuses. Nothing is
mocked; the client's back-off is not patched away either, so a retry would show in the time.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from huggingface_hub import close_session

from glowtts_cli.errors import OfflineError
from glowtts_cli.hub import resolve
from glowtts_cli.hub_download import download_vocoder_repo
from glowtts_cli.hub_publish import push_voice
from tests.hubserver import HubServer
from tests.voices.catalog_files import REPO

pytestmark = pytest.mark.network

GLOWTTS = shutil.which("glowtts") or ""


def _stopped(hub_server: HubServer) -> str:
    hub_server.stop()
    close_session()  # no pooled keep-alive connection to the stopped server
    return hub_server.endpoint.rsplit(":", 1)[-1]


def test_issue_18_unreachable_hub_fails_at_once_and_cached_voices_still_load(
    hub_server: HubServer, hub_voice: str, tiny_voice_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cached = resolve(REPO).path
    port = _stopped(hub_server)
    caplog.set_level(logging.WARNING, logger="huggingface_hub")
    start = time.monotonic()
    assert resolve(REPO).path == cached  # a branch it cannot check: the cached commit
    with pytest.raises(OfflineError) as caught:
        resolve("org/elsewhere")
    assert caught.value.message == (
        "Voice 'org/elsewhere' is not in the local cache and the Hub cannot be reached: "
        f"127.0.0.1:{port} refused the connection."
    )
    assert caught.value.hint and "`glowtts voices download org/elsewhere`" in caught.value.hint
    with pytest.raises(OfflineError, match="refused the connection"):
        download_vocoder_repo("org/some-vocoder")
    with pytest.raises(OfflineError, match=r"^Cannot publish to org/new: the Hub cannot be"):
        push_voice(tiny_voice_dir, "org/new")
    assert time.monotonic() - start < 10, "the client's retries ran"
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]


def test_issue_18_unreachable_hub_on_the_command_line(
    hub_server: HubServer, tmp_path: Path
) -> None:
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    _stopped(hub_server)
    env = {**os.environ, "HF_HUB_OFFLINE": "0"}  # HF_ENDPOINT and HF_HOME: the stopped Hub's
    result = subprocess.run([GLOWTTS, "voices", "download", "org/elsewhere"], env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 2, result.stderr
    assert lines[0].startswith("error: Voice 'org/elsewhere' is not in the local cache and the")
    assert lines[1].startswith("hint: Connect to the network")
