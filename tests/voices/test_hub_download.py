"""Voice downloads through the real huggingface_hub client against the local Hub (tests/hubserver).

Caching, pinned revisions, offline mode, interrupted and corrupted downloads, and the mapping of
every Hub error to ours (one-line message, a hint naming the fix) are exercised for real.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from huggingface_hub import close_session, try_to_load_from_cache
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from glowtts_cli.errors import CheckpointError, GlowTTSError, OfflineError, VoiceNotFoundError
from glowtts_cli.hub import resolve
from glowtts_cli.hub_cache import entry_status
from glowtts_cli.hub_download import download_vocoder_repo
from glowtts_cli.voices import read_catalog
from tests.hubserver import HubServer, set_offline
from tests.voices.catalog_files import REPO, catalog_entry, write_catalog

pytestmark = pytest.mark.network


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def assert_one_line(error: GlowTTSError, *hint_words: str) -> None:
    """A message and a hint users can read: one line each, the hint names the fix."""
    assert "\n" not in error.message and error.message.strip() == error.message
    assert error.hint and "\n" not in error.hint
    for word in hint_words:
        assert word in error.hint, (word, error.hint)


def test_first_download_then_cached_loads_make_no_requests(
    hub_server: HubServer, hub_voice: str, voice_files: dict[str, bytes]
) -> None:
    voice = resolve(f"{REPO}@{hub_voice}")

    assert voice.origin == "hub" and voice.path.name == hub_voice
    assert folder_bytes(voice.path) == voice_files  # the voice has no vocoder.safetensors
    assert [(r.method, r.path.rsplit("/", 1)[-1], r.status) for r in hub_server.log] == [
        ("HEAD", "config.json", 200),
        ("GET", "config.json", 200),
        ("HEAD", "model.safetensors", 302),
        ("GET", hashlib.sha256(voice_files["model.safetensors"]).hexdigest(), 200),  # "CDN"
        ("HEAD", "vocoder.safetensors", 404),  # optional: its absence is cached too
        ("HEAD", "README.md", 200),
        ("GET", "README.md", 200),
    ]

    hub_server.reset_log()
    assert resolve(f"{REPO}@{hub_voice}").path == voice.path
    assert hub_server.request_count == 0  # pinned commit, fully cached (absence included)

    assert resolve(REPO).path == voice.path  # a branch may move: one HEAD, no body
    assert hub_server.requests == [("HEAD", f"/{REPO}/resolve/main/config.json")]


def test_offline_mode_uses_the_cache_and_nothing_else(
    hub_server: HubServer, hub_voice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_server.add_repo("org/never-downloaded", {"config.json": b"{}"})
    online = resolve(REPO).path
    set_offline(monkeypatch)
    hub_server.reset_log()

    assert resolve(REPO).path == online
    assert resolve(f"{REPO}@{hub_voice}").path == online
    with pytest.raises(OfflineError) as caught:
        resolve("org/never-downloaded")
    assert hub_server.request_count == 0
    assert "offline mode is on (HF_HUB_OFFLINE=1)" in caught.value.message
    assert_one_line(caught.value, "glowtts voices download org/never-downloaded")
    assert isinstance(caught.value.__cause__, LocalEntryNotFoundError)


def test_pinned_revision_branch_and_latest(
    hub_server: HubServer, hub_voice: str, voice_files: dict[str, bytes]
) -> None:
    config = json.loads(voice_files["config.json"])
    newer = {**voice_files, "config.json": json.dumps({**config, "description": "v2"}).encode()}
    new = hub_server.add_repo(REPO, newer)
    hub_server.create_branch(REPO, "v1", hub_voice)

    def description(spec: str) -> str:
        path = resolve(spec).path
        return str(json.loads((path / "config.json").read_text())["description"])

    assert description(REPO) == "v2"
    assert description(f"{REPO}@{new}") == "v2"
    assert description(f"{REPO}@{hub_voice}") == config["description"]
    assert description(f"{REPO}@v1") == config["description"]
    assert resolve(f"{REPO}@v1").path.name == hub_voice


@pytest.mark.parametrize(
    ("spec", "cause", "message", "hint"),
    [
        ("org/missing", RepositoryNotFoundError, "Hub repo 'org/missing' not found", "voices list"),
        (f"{REPO}@no-such-branch", RevisionNotFoundError, "Revision 'no-such-branch'", REPO),
        (f"{REPO}@{'0' * 40}", RevisionNotFoundError, f"Revision '{'0' * 40}'", REPO),
        ("org/card-only", EntryNotFoundError, "has no config.json", "voices list"),
        ("org/no-weights", EntryNotFoundError, "has no model.safetensors", "voices list"),
        ("other/secret", RepositoryNotFoundError, "or it is private", "HF_TOKEN"),
        ("other/gated", GatedRepoError, "the repo is gated", "hf auth login"),
    ],
)
def test_hub_errors_map_to_ours(
    hub_server: HubServer,
    hub_voice: str,
    voice_files: dict[str, bytes],
    spec: str,
    cause: type[Exception],
    message: str,
    hint: str,
) -> None:
    hub_server.add_repo("org/card-only", {"README.md": b"# not a voice"})
    hub_server.add_repo("org/no-weights", {"config.json": voice_files["config.json"]})
    hub_server.add_repo("other/secret", voice_files, private=True)
    hub_server.add_repo("other/gated", voice_files, gated=True)

    with pytest.raises(VoiceNotFoundError) as caught:
        resolve(spec)

    assert message in caught.value.message
    assert_one_line(caught.value, hint)
    assert isinstance(caught.value.__cause__, cause)
    assert not isinstance(caught.value.__cause__, LocalEntryNotFoundError)


def test_private_repos_need_the_right_token(
    hub_server: HubServer, voice_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = f"{hub_server.user}/private-voice"
    hub_server.add_repo(mine, voice_files, private=True)
    assert folder_bytes(resolve(mine).path) == voice_files  # HF_TOKEN is the owner's

    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(VoiceNotFoundError) as caught:
        resolve(f"{hub_server.user}/other-private-voice")
    assert caught.value.message == (
        f"No permission to download {hub_server.user}/other-private-voice (HTTP 401)."
    )
    assert_one_line(caught.value, "HF_TOKEN", "hf auth login")
    assert isinstance(caught.value.__cause__, HfHubHTTPError)


def test_an_unreachable_hub_falls_back_to_the_cache(
    hub_server: HubServer, hub_voice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = resolve(REPO).path
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the client backs off 1-8 s
    hub_server.stop()
    close_session()  # no pooled keep-alive connection to the stopped server

    assert resolve(REPO).path == cached  # the branch cannot be checked: the cached one is used
    with pytest.raises(OfflineError) as caught:
        resolve("org/elsewhere")
    assert "is not in the local cache and the Hub cannot be reached" in caught.value.message
    assert_one_line(caught.value, "glowtts voices download org/elsewhere")


def test_typo_in_a_repo_name_suggests_a_cached_one(hub_server: HubServer, hub_voice: str) -> None:
    resolve(REPO)
    with pytest.raises(VoiceNotFoundError, match=r"Did you mean 'org/tiny'\?"):
        resolve("org/tinny")


def test_local_specs(tiny_voice_dir: Path, tmp_path: Path) -> None:
    assert resolve(str(tiny_voice_dir)).origin == "local"
    for spec, message in [
        (str(tmp_path), "is not a voice folder"),
        (str(tiny_voice_dir / "config.json"), "is a file, not a voice folder"),
        ("./no/such/dir", "not found: no such folder"),
        ("tinny-test", "not found: no such folder, catalog name or Hub repo"),
        ("org/a..b", "'org/a..b' is not a valid Hub repo name"),
    ]:
        with pytest.raises(VoiceNotFoundError) as caught:
            resolve(spec)
        assert message in caught.value.message
        assert_one_line(caught.value)


def test_download_cut_off_half_way_is_resumed_by_the_client(
    hub_server: HubServer, hub_voice: str, voice_files: dict[str, bytes]
) -> None:
    hub_server.cut_after(REPO, "model.safetensors", len(voice_files["model.safetensors"]) // 2)

    voice = resolve(f"{REPO}@{hub_voice}")

    assert folder_bytes(voice.path) == voice_files
    cdn_gets = [r.status for r in hub_server.log if r.origin == "cdn"]
    assert cdn_gets == [200, 200]  # broken off once, fetched again within the same call


def test_download_that_keeps_failing_is_an_error_and_a_later_retry_succeeds(
    hub_server: HubServer,
    hub_voice: str,
    voice_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the client waits 1 s per retry
    hub_server.cut_after(REPO, "model.safetensors", 0, times=6)  # 1 try + 5 retries
    spec = f"{REPO}@{hub_voice}"

    with pytest.raises(OfflineError) as caught:
        resolve(spec)

    assert "Download of org/tiny/model.safetensors was interrupted" in caught.value.message
    assert_one_line(caught.value, f"glowtts voices download {spec}")
    assert try_to_load_from_cache(REPO, "model.safetensors", revision=hub_voice) is None
    assert try_to_load_from_cache(REPO, "config.json", revision=hub_voice) is not None
    hub_server.reset_log()
    assert folder_bytes(resolve(spec).path) == voice_files  # the "network" is back
    fetched = [r.path.rsplit("/", 1)[-1] for r in hub_server.log if r.method == "HEAD"]
    assert fetched == ["model.safetensors", "vocoder.safetensors", "README.md"]  # config kept


def test_catalog_voice_downloads_verifies_and_then_works_offline(
    hub_server: HubServer,
    hub_voice: str,
    voice_files: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = read_catalog(
        write_catalog(tmp_path / "catalog", catalog_entry("tiny", REPO, hub_voice, voice_files))
    )
    hub_server.add_repo(REPO, {"config.json": b"{}"})  # main moved on; the catalog pins a commit
    assert entry_status(catalog["tiny"]) == {"available": False, "path": None, "bytes": 0}

    voice = resolve("tiny", catalog=catalog)

    assert voice.origin == "catalog" and voice.path.name == hub_voice
    assert folder_bytes(voice.path) == voice_files
    assert all(f"/resolve/{hub_voice}/" in r.path for r in hub_server.log if r.origin == "hub")
    size = sum(map(len, voice_files.values()))
    assert entry_status(catalog["tiny"]) == {
        "available": True,
        "path": str(voice.path),
        "bytes": size,
    }
    hub_server.reset_log()
    assert resolve("tiny", catalog=catalog).path == voice.path
    set_offline(monkeypatch)
    assert resolve("tiny", catalog=catalog).path == voice.path
    assert hub_server.request_count == 0
    with pytest.raises(VoiceNotFoundError, match="Did you mean 'tiny'"):
        resolve("tinyy", catalog=catalog)


def test_catalog_sha256_mismatch_removes_the_file_and_a_retry_succeeds(
    hub_server: HubServer, hub_voice: str, voice_files: dict[str, bytes], tmp_path: Path
) -> None:
    catalog = read_catalog(
        write_catalog(tmp_path / "catalog", catalog_entry("tiny", REPO, hub_voice, voice_files))
    )
    hub_server.corrupt(REPO, "model.safetensors")

    for _ in range(2):  # still corrupted on the second try: same error, never a bad voice
        with pytest.raises(CheckpointError) as caught:
            resolve("tiny", catalog=catalog)
        assert "model.safetensors (sha256" in caught.value.message
        assert "removed from the cache" in caught.value.message
        assert_one_line(caught.value, "glowtts voices download tiny")
        assert try_to_load_from_cache(REPO, "model.safetensors", revision=hub_voice) is None
        config = try_to_load_from_cache(REPO, "config.json", revision=hub_voice)
        assert isinstance(config, str)  # the good file stays
        blob = hashlib.sha256(voice_files["model.safetensors"]).hexdigest()
        assert not (Path(config).parents[2] / "blobs" / blob).exists()

    hub_server._faults.clear()  # the Hub serves the right bytes again
    hub_server.reset_log()
    voice = resolve("tiny", catalog=catalog)
    assert folder_bytes(voice.path) == voice_files
    assert [r.origin for r in hub_server.log] == ["hub", "cdn"]  # only the evicted file


def test_a_cached_file_damaged_on_disk_is_caught_and_fetched_again(
    hub_server: HubServer, hub_voice: str, voice_files: dict[str, bytes], tmp_path: Path
) -> None:
    catalog = read_catalog(
        write_catalog(tmp_path / "catalog", catalog_entry("tiny", REPO, hub_voice, voice_files))
    )
    config = resolve("tiny", catalog=catalog).path / "config.json"
    config.write_bytes(config.read_bytes().replace(b"tiny-test", b"tiny-best"))  # bit rot

    with pytest.raises(CheckpointError, match=r"config\.json \(sha256"):
        resolve("tiny", catalog=catalog)
    assert not config.exists()
    assert resolve("tiny", catalog=catalog).path == config.parent
    assert config.read_bytes() == voice_files["config.json"]


def test_catalog_entry_pointing_at_a_vanished_revision(
    hub_server: HubServer, voice_files: dict[str, bytes], tmp_path: Path
) -> None:
    hub_server.add_repo(REPO, voice_files)
    catalog = read_catalog(
        write_catalog(tmp_path / "catalog", catalog_entry("tiny", REPO, "f" * 40, voice_files))
    )
    with pytest.raises(VoiceNotFoundError) as caught:
        resolve("tiny", catalog=catalog)
    assert_one_line(caught.value, "pip install -U glowtts-cli")


def test_vocoder_repos_download_then_work_offline(
    hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"config.json": b'{"resblock": "1"}', "generator.safetensors": b"w" * 100}
    sha = hub_server.add_repo("org/hifigan", files)

    folder = download_vocoder_repo("org/hifigan")

    assert folder.name == sha and folder_bytes(folder) == files
    set_offline(monkeypatch)
    hub_server.reset_log()
    assert download_vocoder_repo(f"org/hifigan@{sha}") == folder
    assert hub_server.request_count == 0
    for spec, error in [("org/other", OfflineError), ("not a repo", VoiceNotFoundError)]:
        with pytest.raises(error) as caught:
            download_vocoder_repo(spec)
        assert_one_line(caught.value)
