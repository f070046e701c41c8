"""The local Hub answers the real huggingface_hub client the way huggingface.co does.

Nothing is mocked: every call below goes through huggingface_hub's HTTP stack to
tests/hubserver.py on 127.0.0.1. These tests are what later hub tests rely on.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.constants import DOWNLOAD_CHUNK_SIZE
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.hubserver import HubServer, disable_xet, set_offline

pytest_plugins = ["tests.hub_fixtures"]  # redundant once tests/conftest.py registers it
pytestmark = pytest.mark.network

REPO = "org/voice"
WEIGHTS = bytes(range(256)) * 8  # 2 KiB, stored as LFS (served through the CDN redirect)
FILES = {"config.json": b'{"name": "voice"}', "model.safetensors": WEIGHTS, "extra/notes.txt": b"n"}


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_first_download_makes_the_hub_requests(hub_server: HubServer) -> None:
    sha = hub_server.add_repo(REPO, FILES)
    config = hf_hub_download(REPO, "config.json")
    weights = hf_hub_download(REPO, "model.safetensors")

    assert Path(config).read_bytes() == FILES["config.json"]
    assert Path(weights).read_bytes() == WEIGHTS
    assert f"/snapshots/{sha}/" in weights
    cdn_path = f"/repos/{REPO}/{hashlib.sha256(WEIGHTS).hexdigest()}"
    assert [(r.method, r.path, r.origin, r.status) for r in hub_server.log] == [
        ("HEAD", f"/{REPO}/resolve/main/config.json", "hub", 200),
        ("GET", f"/{REPO}/resolve/main/config.json", "hub", 200),
        ("HEAD", f"/{REPO}/resolve/main/model.safetensors", "hub", 302),
        ("GET", cdn_path, "cdn", 200),
    ]
    assert "authorization" not in hub_server.log[-1].headers  # dropped for the "CDN" origin
    assert "authorization" in hub_server.log[0].headers


def test_cached_load_with_pinned_sha_makes_zero_requests(hub_server: HubServer) -> None:
    sha = hub_server.add_repo(REPO, FILES)
    first = hf_hub_download(REPO, "model.safetensors", revision=sha)
    hub_server.reset_log()

    assert hf_hub_download(REPO, "model.safetensors", revision=sha) == first
    assert hub_server.request_count == 0
    # A branch name is not immutable: the client asks again (HEAD only, no body).
    assert hf_hub_download(REPO, "model.safetensors", revision="main") == first
    assert hub_server.requests == [("HEAD", f"/{REPO}/resolve/main/model.safetensors")]


def test_offline_mode_loads_from_cache(
    hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_server.add_repo(REPO, FILES)
    cached = hf_hub_download(REPO, "config.json")
    set_offline(monkeypatch)
    hub_server.reset_log()

    assert hf_hub_download(REPO, "config.json") == cached
    with pytest.raises(LocalEntryNotFoundError):
        hf_hub_download(REPO, "model.safetensors")
    assert hub_server.request_count == 0


def test_pinned_revision_serves_that_commit(hub_server: HubServer) -> None:
    old = hub_server.add_repo(REPO, {"config.json": b"old"})
    new = hub_server.add_repo(REPO, {"config.json": b"new"})
    assert old != new and len(old) == 40 and int(old, 16) >= 0

    assert Path(hf_hub_download(REPO, "config.json", revision=old)).read_bytes() == b"old"
    assert Path(hf_hub_download(REPO, "config.json")).read_bytes() == b"new"
    hub_server.create_branch(REPO, "v1", old)
    assert Path(hf_hub_download(REPO, "config.json", revision="v1")).read_bytes() == b"old"


@pytest.mark.parametrize(
    ("repo", "filename", "revision", "token", "error", "status"),
    [
        ("org/missing", "config.json", None, None, RepositoryNotFoundError, 404),
        ("org/missing", "config.json", None, False, RepositoryNotFoundError, 401),
        (REPO, "missing.json", None, None, EntryNotFoundError, 404),
        (REPO, "config.json", "no-such-branch", None, RevisionNotFoundError, 404),
        (REPO, "config.json", "0" * 40, None, RevisionNotFoundError, 404),
        ("other/secret", "config.json", None, None, RepositoryNotFoundError, 404),
        ("other/secret", "config.json", None, False, RepositoryNotFoundError, 401),
        ("other/gated", "config.json", None, None, GatedRepoError, 403),
        ("other/gated", "config.json", None, False, GatedRepoError, 401),
        (REPO, "config.json", None, "hf_wrong", HfHubHTTPError, 401),
    ],
)
def test_download_errors(
    hub_server: HubServer,
    repo: str,
    filename: str,
    revision: str | None,
    token: str | bool | None,
    error: type[Exception],
    status: int,
) -> None:
    hub_server.add_repo(REPO, FILES)
    hub_server.add_repo("other/secret", FILES, private=True)
    hub_server.add_repo("other/gated", FILES, gated=True)

    with pytest.raises(error) as caught:
        hf_hub_download(repo, filename, revision=revision, token=token)
    assert not isinstance(
        caught.value, LocalEntryNotFoundError
    )  # the Hub's answer, not a cache miss
    assert [(r.method, r.status) for r in hub_server.log] == [("HEAD", status)]


def test_private_repo_of_the_token_owner_is_readable(hub_server: HubServer) -> None:
    repo = f"{hub_server.user}/mine"
    hub_server.add_repo(repo, FILES, private=True)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo, "config.json", token=False)
    assert Path(hf_hub_download(repo, "config.json")).read_bytes() == FILES["config.json"]


def test_snapshot_download_follows_tree_pages(
    hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = hub_server.add_repo(REPO, FILES)
    hub_server.tree_page_size = 2  # 3 files + 1 folder => two pages, linked by a cursor

    folder = Path(snapshot_download(REPO))

    assert folder.name == sha
    got = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    assert got == FILES
    tree_calls = [r for r in hub_server.log if "/tree/" in r.path]
    assert [r.query.count("cursor=") for r in tree_calls] == [0, 1]
    assert hub_server.requests[0] == ("GET", f"/api/models/{REPO}/revision/main")

    hub_server.reset_log()
    assert Path(snapshot_download(REPO, revision=sha)) == folder
    set_offline(monkeypatch)
    assert Path(snapshot_download(REPO)) == folder
    assert hub_server.request_count == 0


def test_model_info_and_file_listing(hub_server: HubServer) -> None:
    sha = hub_server.add_repo(REPO, FILES)
    api = HfApi()

    info = api.model_info(REPO, files_metadata=True)
    assert info.sha == sha
    siblings = {s.rfilename: s for s in info.siblings or []}
    assert set(siblings) == set(FILES)
    lfs = siblings["model.safetensors"].lfs
    assert lfs is not None and lfs.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    assert siblings["config.json"].lfs is None and siblings["config.json"].size == len(
        FILES["config.json"]
    )
    assert sorted(api.list_repo_files(REPO, revision=sha)) == sorted(FILES)
    assert [p.path for p in api.get_paths_info(REPO, ["extra", "nope", "config.json"])] == [
        "extra",
        "config.json",
    ]


@pytest.mark.parametrize(
    ("filename", "size", "cut"),
    [
        ("config.json", 1000, 300),
        ("model.safetensors", DOWNLOAD_CHUNK_SIZE + 4096, DOWNLOAD_CHUNK_SIZE + 1000),
    ],
)
def test_download_cut_off_half_way_is_retried(
    hub_server: HubServer, filename: str, size: int, cut: int
) -> None:
    # The client retries a broken body once per call (after a 1 s sleep). It keeps only the
    # whole DOWNLOAD_CHUNK_SIZE (10 MiB) chunks it received and asks for the rest with a Range
    # header; a smaller file is simply fetched again from the start.
    content = bytes(i % 251 for i in range(size))
    hub_server.add_repo(REPO, {**FILES, filename: content})
    hub_server.cut_after(REPO, filename, cut)

    path = hf_hub_download(REPO, filename)

    assert _sha256(path) == hashlib.sha256(content).hexdigest()
    kept = cut // DOWNLOAD_CHUNK_SIZE * DOWNLOAD_CHUNK_SIZE
    retry = (None, 200) if kept == 0 else (f"bytes={kept}-", 206)
    gets = [r for r in hub_server.log if r.method == "GET"]
    assert [(r.headers.get("range"), r.status) for r in gets] == [(None, 200), retry]


def test_corrupted_file_arrives_with_the_right_size_and_a_wrong_hash(hub_server: HubServer) -> None:
    hub_server.add_repo(REPO, FILES)
    hub_server.corrupt(REPO, "model.safetensors")

    path = Path(hf_hub_download(REPO, "model.safetensors"))

    assert path.stat().st_size == len(WEIGHTS)
    assert path.resolve().name == hashlib.sha256(WEIGHTS).hexdigest()  # blob named by the etag
    assert _sha256(path) != path.resolve().name


@pytest.mark.parametrize("xet_disabled", [False, True], ids=["xet-installed", "xet-disabled"])
def test_create_repo_upload_folder_round_trip(
    hub_server: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xet_disabled: bool
) -> None:
    # With hf_xet importable, upload_folder takes its pipelined path; with it disabled, the
    # single create_commit path. Both must end in the same preupload + commit calls.
    disable_xet(monkeypatch, xet_disabled)
    voice = tmp_path / "voice"
    files = {"README.md": b"---\nlicense: mit\n---\n# Voice\n", **FILES}
    for name, data in files.items():
        (voice / name).parent.mkdir(parents=True, exist_ok=True)
        (voice / name).write_bytes(data)
    api = HfApi(endpoint=hub_server.endpoint)

    url = api.create_repo("voice", private=True)
    commit = api.upload_folder(repo_id=url.repo_id, folder_path=voice, commit_message="Add voice")

    assert url.repo_id == f"{hub_server.user}/voice"
    # README.md metadata is validated once per path taken (twice on the single-commit path).
    assert ("POST", "/api/validate-yaml") in hub_server.requests
    assert [r for r in hub_server.requests if r[1] != "/api/validate-yaml"] == [
        ("POST", "/api/repos/create"),
        ("POST", f"/api/models/{url.repo_id}/preupload/main"),
        ("POST", f"/api/models/{url.repo_id}/commit/main"),
    ]
    stored = hub_server.files(url.repo_id)
    assert {k: v for k, v in stored.items() if k != ".gitattributes"} == files
    downloaded = hf_hub_download(url.repo_id, "model.safetensors", revision=commit.oid)
    assert Path(downloaded).read_bytes() == WEIGHTS
    assert api.create_repo("voice", exist_ok=True).repo_id == url.repo_id
    with pytest.raises(HfHubHTTPError):
        api.create_repo("voice")  # 409: exists
    with pytest.raises(HfHubHTTPError):
        api.create_repo("someone-else/voice")  # 403: not the token's namespace


def test_whoami_needs_a_valid_token(hub_server: HubServer) -> None:
    assert HfApi().whoami()["name"] == hub_server.user
    with pytest.raises(HfHubHTTPError):
        HfApi().whoami(token="hf_wrong")


def test_range_requests(hub_server: HubServer) -> None:
    hub_server.add_repo(REPO, {"config.json": b"0123456789"})
    url = f"{hub_server.endpoint}/{REPO}/resolve/main/config.json"

    def fetch(byte_range: str) -> tuple[int, bytes, str | None]:
        request = urllib.request.Request(url, headers={"Range": byte_range})
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.read(), response.headers["Content-Range"]
        except urllib.error.HTTPError as error:
            return error.code, b"", error.headers["Content-Range"]

    assert fetch("bytes=2-4") == (206, b"234", "bytes 2-4/10")
    assert fetch("bytes=7-") == (206, b"789", "bytes 7-9/10")
    assert fetch("bytes=-2") == (206, b"89", "bytes 8-9/10")
    assert fetch("bytes=10-") == (416, b"", "bytes */10")
