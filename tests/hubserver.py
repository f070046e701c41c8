"""A local Hugging Face Hub for tests: the real ``huggingface_hub`` client talks HTTP to it.

Model repos live in memory. The server answers the requests the client makes (checked against
huggingface_hub 2.4.0): ``HEAD/GET /{repo}/resolve/{rev}/{path}`` with the Hub's headers, LFS
files redirected to a second "CDN" origin (another port, so the client drops the auth header as
it does for the real CDN), ``/api/models/...`` (info, tree, paths-info, preupload, commit),
``/api/repos/create``, ``/api/validate-yaml`` and ``/api/whoami-v2``. It never sends the Xet
headers (``X-Xet-Hash``, ``Link: rel="xet-auth"``) and the preupload answer is always
``"regular"``, so every transfer is plain HTTP even with ``hf_xet`` installed.

Every request is logged (so a test can assert that a cached load makes none) and faults can be
injected: corrupted bytes, or a body cut off half-way. ``point_client_at`` / ``set_offline`` /
``disable_xet`` configure the client in-process (see the note above them). Test support only.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import huggingface_hub
import huggingface_hub.hf_api
import pytest
from huggingface_hub import constants
from huggingface_hub.utils import _cache_manager

LFS_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.onnx", "*.wav", "*.npz")
"""Files stored as git-LFS objects (served through the CDN redirect), as a Hub .gitattributes."""

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def git_blob_sha1(data: bytes) -> str:
    """The git object id of ``data`` (what the Hub sends as ETag for non-LFS files)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Blob:
    """One file's content as the Hub stores it: a git blob, or an LFS pointer plus the object."""

    data: bytes
    lfs: bool
    sha256: str
    oid: str
    """git id in the tree: of the content, or of the LFS pointer file for LFS files."""
    pointer_size: int

    @classmethod
    def make(cls, data: bytes, *, lfs: bool) -> Blob:
        sha256 = hashlib.sha256(data).hexdigest()
        spec = "version https://git-lfs.github.com/spec/v1"
        pointer = f"{spec}\noid sha256:{sha256}\nsize {len(data)}\n"
        oid = git_blob_sha1(pointer.encode() if lfs else data)
        return cls(data=data, lfs=lfs, sha256=sha256, oid=oid, pointer_size=len(pointer))


@dataclass(frozen=True)
class Commit:
    sha: str
    title: str
    date: str
    files: Mapping[str, Blob]


@dataclass
class Repo:
    repo_id: str
    private: bool
    gated: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)


class LoggedRequest(NamedTuple):
    """One request as the server saw it (``headers`` keys are lower case)."""

    method: str
    path: str
    query: str
    origin: str
    """"hub" or "cdn"."""
    headers: dict[str, str]
    status: int


class HubError(Exception):
    """An error answer: status, the Hub's ``X-Error-Code`` (if any) and message."""

    def __init__(
        self, status: int, code: str | None, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    cut_at: int | None = None
    """Send only this many body bytes, then close the connection (fault injection)."""


@dataclass
class _Faults:
    corrupt: bool = False
    cut_bytes: int = 0
    cut_times: int = 0


class HubServer:
    """In-memory Hub + CDN on two free ports of 127.0.0.1. Use ``with HubServer() as hub:``.

    One user (``user``) holds ``token``; it may read and write repos in its own namespace.
    Private repos of other namespaces look missing, gated ones answer ``GatedRepo``.
    """

    def __init__(
        self,
        *,
        user: str = "tester",
        token: str | None = None,
        lfs_patterns: Iterable[str] = LFS_PATTERNS,
        tree_page_size: int = 1000,
    ) -> None:
        self.user = user
        self.token = token or "hf_test_" + secrets.token_hex(8)
        self.lfs_patterns = tuple(lfs_patterns)
        self.tree_page_size = tree_page_size
        self._repos: dict[str, Repo] = {}
        self._faults: dict[tuple[str, str], _Faults] = {}
        self._log: list[LoggedRequest] = []
        self._lock = threading.RLock()
        self._counter = 0
        self._servers = [_Server(self, "hub"), _Server(self, "cdn")]
        self._threads: list[threading.Thread] = []

    # ----------------------------------------------------------------- lifecycle
    @property
    def endpoint(self) -> str:
        """What ``HF_ENDPOINT`` must be, e.g. ``http://127.0.0.1:43123``."""
        return self._servers[0].url

    @property
    def cdn_endpoint(self) -> str:
        return self._servers[1].url

    def start(self) -> HubServer:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- content
    def add_repo(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        private: bool = False,
        gated: bool = False,
        message: str = "Add files",
        branch: str = "main",
    ) -> str:
        """Create ``repo_id`` if needed, commit exactly ``files`` on ``branch``, return the sha."""
        with self._lock:
            repo = self._repos.get(repo_id)
            if repo is None:
                repo = self._repos[repo_id] = Repo(repo_id=repo_id, private=private, gated=gated)
            blobs = {path: self._blob(path, data) for path, data in files.items()}
            return self._commit(repo, branch, blobs, message)

    def create_branch(self, repo_id: str, branch: str, revision: str = "main") -> None:
        with self._lock:
            repo = self._repos[repo_id]
            repo.branches[branch] = self._resolve(repo, revision).sha

    def head(self, repo_id: str, branch: str = "main") -> str:
        return self._repos[repo_id].branches[branch]

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        """The repo's files at ``revision`` (to check what a push stored)."""
        commit = self._resolve(self._repos[repo_id], revision)
        return {path: blob.data for path, blob in commit.files.items()}

    def corrupt(self, repo_id: str, path: str, revision: str = "main") -> None:
        """Serve wrong bytes (same length, same headers) for this file from now on."""
        self._fault(repo_id, path, revision).corrupt = True

    def cut_after(
        self, repo_id: str, path: str, n_bytes: int, *, times: int = 1, revision: str = "main"
    ) -> None:
        """The next ``times`` GETs of this file's body send ``n_bytes`` of it, then hang up."""
        fault = self._fault(repo_id, path, revision)
        fault.cut_bytes, fault.cut_times = n_bytes, times

    # ----------------------------------------------------------------- request log
    @property
    def log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request so far, CDN included."""
        return [(r.method, r.path) for r in self.log]

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    # ----------------------------------------------------------------- internals
    def _blob(self, path: str, data: bytes) -> Blob:
        name = path.rsplit("/", 1)[-1]
        lfs = bool(data) and any(fnmatch.fnmatch(name, pat) for pat in self.lfs_patterns)
        return Blob.make(data, lfs=lfs)

    def _commit(self, repo: Repo, branch: str, files: Mapping[str, Blob], title: str) -> str:
        self._counter += 1
        seed = f"{repo.repo_id}\n{self._counter}\n{title}\n" + "\n".join(
            f"{p} {b.oid}" for p, b in sorted(files.items())
        )
        sha = hashlib.sha1(seed.encode()).hexdigest()
        date = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        repo.commits[sha] = Commit(sha=sha, title=title, date=date, files=dict(files))
        repo.branches[branch] = sha
        return sha

    def _resolve(self, repo: Repo, revision: str) -> Commit:
        sha = repo.branches.get(revision, revision)
        if sha not in repo.commits:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return repo.commits[sha]

    def _fault(self, repo_id: str, path: str, revision: str) -> _Faults:
        with self._lock:
            blob = self._resolve(self._repos[repo_id], revision).files[path]
            return self._faults.setdefault((repo_id, blob.sha256), _Faults())

    def handle(
        self, origin: str, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one request (called by the HTTP handler threads)."""
        split = urlsplit(url)
        parts = [unquote(p) for p in split.path.split("/")[1:]]
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self._lock:
            if origin == "cdn":
                return _cdn(self, method, parts, headers)
            return _route(self, method, parts, query, headers, body)


# --------------------------------------------------------------------- routing (hub origin)
def _route(
    hub: HubServer,
    method: str,
    parts: list[str],
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> Reply:
    user = _caller(hub, headers)
    if len(parts) >= 5 and parts[2] == "resolve" and method in ("GET", "HEAD"):
        repo_id = "/".join(parts[:2])
        return _resolve_file(hub, repo_id, parts[3], "/".join(parts[4:]), user, method, headers)
    if parts[:1] != ["api"]:
        raise HubError(404, None, "Sorry, we can't find the page you are looking for.")
    if parts == ["api", "whoami-v2"]:
        if user is None:
            raise HubError(401, None, "Invalid username or password.")
        token = {"type": "access_token", "accessToken": {"role": "write"}}
        return _json({"type": "user", "name": user, "fullname": "Test", "orgs": [], "auth": token})
    if parts == ["api", "validate-yaml"] and method == "POST":
        return _json({"errors": [], "warnings": []})
    if parts == ["api", "repos", "create"] and method == "POST":
        return _create_repo(hub, json.loads(body), user)
    if len(parts) >= 4 and parts[1] == "models":
        repo_id, rest = "/".join(parts[2:4]), parts[4:]
        return _repo_api(hub, method, repo_id, rest, query, user, body)
    raise HubError(404, None, "Sorry, we can't find the page you are looking for.")


def _repo_api(
    hub: HubServer,
    method: str,
    repo_id: str,
    rest: list[str],
    query: Mapping[str, str],
    user: str | None,
    body: bytes,
) -> Reply:
    if method == "GET" and (rest == [] or (len(rest) == 2 and rest[0] == "revision")):
        repo = _readable(hub, repo_id, user)
        commit = hub._resolve(repo, rest[1] if rest else "main")
        return _json(_model_info(repo, commit, blobs=_flag(query.get("blobs"))))
    if method == "GET" and len(rest) >= 2 and rest[0] == "tree":
        repo = _readable(hub, repo_id, user)
        return _tree(hub, repo, hub._resolve(repo, rest[1]), "/".join(rest[2:]), query)
    if method == "POST" and len(rest) == 2 and rest[0] == "paths-info":
        repo = _readable(hub, repo_id, user)
        commit = hub._resolve(repo, rest[1])
        form = parse_qs(body.decode())
        wanted = set(form.get("paths", []))
        entries = [
            e for e in _entries(commit, _flag(form.get("expand", [""])[-1])) if e["path"] in wanted
        ]
        return _json(entries)
    if method == "POST" and len(rest) == 2 and rest[0] in ("preupload", "commit"):
        repo = _writable(hub, repo_id, user)
        if rest[1] not in repo.branches:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {rest[1]}")
        if rest[0] == "preupload":
            return _preupload(repo.commits[repo.branches[rest[1]]], json.loads(body))
        return _apply_commit(hub, repo, rest[1], body)
    raise HubError(404, None, "Sorry, we can't find the page you are looking for.")


def _caller(hub: HubServer, headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if not auth:
        return None
    if auth != f"Bearer {hub.token}":
        raise HubError(401, None, "Invalid credentials in Authorization header")
    return hub.user


def _readable(hub: HubServer, repo_id: str, user: str | None) -> Repo:
    """The repo if ``user`` may read it; otherwise the Hub's answers (401 when anonymous)."""
    repo = hub._repos.get(repo_id)
    owner = user is not None and repo_id.split("/")[0] == user
    if repo is None or (repo.private and not owner):
        raise HubError(401 if user is None else 404, "RepoNotFound", "Repository not found")
    if repo.gated and not owner:
        message = (
            f"Access to model {repo_id} is restricted. You must have access to it and be"
            " authenticated to access it. Please log in."
        )
        raise HubError(401 if user is None else 403, "GatedRepo", message)
    return repo


def _writable(hub: HubServer, repo_id: str, user: str | None) -> Repo:
    repo = _readable(hub, repo_id, user)
    if user is None or repo_id.split("/")[0] != user:
        raise HubError(403, None, f"You don't have the rights to write to {repo_id}")
    return repo


# --------------------------------------------------------------------- file transfer
def _resolve_file(
    hub: HubServer,
    repo_id: str,
    revision: str,
    path: str,
    user: str | None,
    method: str,
    headers: Mapping[str, str],
) -> Reply:
    commit = hub._resolve(_readable(hub, repo_id, user), revision)
    blob = commit.files.get(path)
    if blob is None:
        raise HubError(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": commit.sha})
    base = {"X-Repo-Commit": commit.sha, "Accept-Ranges": "bytes", "ETag": f'"{blob.oid}"'}
    if blob.lfs:
        # The Hub answers LFS files with a redirect to a signed CDN url; the metadata (sha256
        # etag, size) rides on the redirect itself, in X-Linked-Etag / X-Linked-Size.
        location = f"{hub.cdn_endpoint}/repos/{repo_id}/{blob.sha256}"
        linked = {"Location": location, "X-Linked-Etag": f'"{blob.sha256}"'}
        return Reply(302, {**base, **linked, "X-Linked-Size": str(len(blob.data))})
    return _content(hub, repo_id, blob, method, headers, base)


def _cdn(hub: HubServer, method: str, parts: list[str], headers: Mapping[str, str]) -> Reply:
    repo = hub._repos.get("/".join(parts[1:3])) if len(parts) == 4 and parts[0] == "repos" else None
    blobs = [b for c in repo.commits.values() for b in c.files.values()] if repo else []
    blob = next((b for b in blobs if b.lfs and b.sha256 == parts[-1]), None)
    if repo is None or blob is None or method not in ("GET", "HEAD"):
        raise HubError(404, None, "NoSuchKey")
    base = {"ETag": f'"{blob.sha256}"', "Accept-Ranges": "bytes"}
    return _content(hub, repo.repo_id, blob, method, headers, base)


def _content(
    hub: HubServer,
    repo_id: str,
    blob: Blob,
    method: str,
    headers: Mapping[str, str],
    base: dict[str, str],
) -> Reply:
    """The file body (or the requested range of it), with the injected faults applied."""
    data = blob.data
    fault = hub._faults.get((repo_id, blob.sha256), _Faults())
    if fault.corrupt and data:
        data = data[:-1] + bytes([data[-1] ^ 0xFF])
    size = len(data)
    start, end, status = 0, size - 1, 200
    match = _RANGE.fullmatch(headers.get("range", "").strip())
    if match and (match[1] or match[2]):
        if match[1]:
            start, end = int(match[1]), min(int(match[2] or size - 1), size - 1)
        else:
            start = max(size - int(match[2]), 0)
        if start >= size or start > end:
            raise HubError(416, None, "Range Not Satisfiable", {"Content-Range": f"bytes */{size}"})
        status = 206
        base = {**base, "Content-Range": f"bytes {start}-{end}/{size}"}
    reply = Reply(
        status, {**base, "Content-Type": "application/octet-stream"}, data[start : end + 1]
    )
    if method == "GET" and fault.cut_times > 0:
        fault.cut_times -= 1
        reply.cut_at = min(fault.cut_bytes, len(reply.body))
    return reply


# --------------------------------------------------------------------- repo API
def _model_info(repo: Repo, commit: Commit, *, blobs: bool) -> dict[str, Any]:
    siblings: list[dict[str, Any]] = []
    for path, blob in sorted(commit.files.items()):
        sibling: dict[str, Any] = {"rfilename": path}
        if blobs:
            sibling.update(size=len(blob.data), blobId=blob.oid)
            if blob.lfs:
                sibling["lfs"] = _lfs(blob, sha_key="sha256")
        siblings.append(sibling)
    return {
        "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
        "id": repo.repo_id,
        "author": repo.repo_id.split("/")[0],
        "sha": commit.sha,
        "lastModified": commit.date,
        "createdAt": min(c.date for c in repo.commits.values()),
        "private": repo.private,
        "gated": "auto" if repo.gated else False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "siblings": siblings,
    }


def _lfs(blob: Blob, *, sha_key: str) -> dict[str, Any]:
    return {sha_key: blob.sha256, "size": len(blob.data), "pointerSize": blob.pointer_size}


def _entries(commit: Commit, expand: bool) -> list[dict[str, Any]]:
    """Every file and folder of the commit, as the tree / paths-info APIs list them."""
    last = {"id": commit.sha, "title": commit.title, "date": commit.date}
    folders: dict[str, list[str]] = {}
    for path, blob in commit.files.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            folders.setdefault("/".join(parts[:i]), []).append(blob.oid)
    entries: list[dict[str, Any]] = [
        {"type": "directory", "oid": git_blob_sha1(" ".join(oids).encode()), "size": 0, "path": f}
        for f, oids in sorted(folders.items())
    ]
    for path, blob in sorted(commit.files.items()):
        entry: dict[str, Any] = {
            "type": "file",
            "oid": blob.oid,
            "size": len(blob.data),
            "path": path,
        }
        if blob.lfs:
            entry["lfs"] = _lfs(blob, sha_key="oid")
        entries.append(entry)
    if expand:
        for entry in entries:
            entry["lastCommit"] = last
    return entries


def _tree(
    hub: HubServer, repo: Repo, commit: Commit, folder: str, query: Mapping[str, str]
) -> Reply:
    entries = _entries(commit, _flag(query.get("expand")))
    if folder and not any(e["path"] == folder and e["type"] == "directory" for e in entries):
        raise HubError(404, "EntryNotFound", f"{folder} does not exist on {commit.sha}")
    prefix = f"{folder}/" if folder else ""
    entries = [e for e in entries if e["path"].startswith(prefix)]
    if not _flag(query.get("recursive")):
        entries = [e for e in entries if "/" not in e["path"][len(prefix) :]]
    start = int(query.get("cursor", "0"))
    page = entries[start : start + hub.tree_page_size]
    headers: dict[str, str] = {}
    if start + hub.tree_page_size < len(entries):
        params = {k: v for k, v in query.items() if k != "cursor"}
        params["cursor"] = str(start + hub.tree_page_size)
        url = f"{hub.endpoint}/api/models/{repo.repo_id}/tree/{commit.sha}"
        url += f"/{folder}" if folder else ""
        headers["Link"] = f'<{url}?{urlencode(params)}>; rel="next"'
    return _json(page, headers)


def _create_repo(hub: HubServer, payload: Mapping[str, Any], user: str | None) -> Reply:
    if user is None:
        raise HubError(401, None, "Invalid username or password.")
    namespace = payload.get("organization") or user
    repo_id = f"{namespace}/{payload['name']}"
    url = f"{hub.endpoint}/{repo_id}"
    if payload.get("type", "model") not in (None, "model"):
        raise HubError(400, None, "This test Hub only serves model repos")
    if namespace != user:
        message = f'You don\'t have the rights to create a model under the namespace "{namespace}"'
        raise HubError(403, None, message)
    if repo_id in hub._repos:
        return _json({"error": "You already created this model repo", "url": url}, status=409)
    private = payload.get("visibility") == "private"
    repo = hub._repos[repo_id] = Repo(repo_id, private=private, gated=False)
    attributes = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in hub.lfs_patterns)
    gitattributes = {".gitattributes": hub._blob(".gitattributes", attributes.encode())}
    hub._commit(repo, "main", gitattributes, "initial commit")
    return _json({"url": url, "name": repo_id, "id": repo_id})


def _preupload(head: Commit, payload: Mapping[str, Any]) -> Reply:
    # "regular" for every file: the content then travels base64-encoded inside the commit call,
    # so neither an LFS nor a Xet transfer is ever needed. ``oid`` lets the client skip files
    # that did not change (it compares it with the git sha1 of its local content).
    files = []
    for item in payload["files"]:
        blob = head.files.get(item["path"])
        oid = git_blob_sha1(blob.data) if blob else None
        mode = {"uploadMode": "regular", "shouldIgnore": False, "oid": oid}
        files.append({"path": item["path"], **mode})
    return _json({"files": files, "commitOid": head.sha})


def _apply_commit(hub: HubServer, repo: Repo, branch: str, body: bytes) -> Reply:
    head = repo.commits[repo.branches[branch]]
    files = dict(head.files)
    title = "Commit"
    for line in body.splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        key, value = item["key"], item["value"]
        if key == "header":
            title = value["summary"]
            if value.get("parentCommit") not in (None, head.sha):
                raise HubError(412, None, "The parent commit is not the head of the branch")
        elif key == "file":
            files[value["path"]] = hub._blob(value["path"], base64.b64decode(value["content"]))
        elif key == "lfsFile":
            known = {b.sha256: b for c in repo.commits.values() for b in c.files.values()}
            if value["oid"] not in known:
                raise HubError(422, None, f"LFS object {value['oid']} was never uploaded")
            files[value["path"]] = known[value["oid"]]
        elif key == "deletedFile":
            if files.pop(value["path"], None) is None:
                raise HubError(404, "EntryNotFound", "A file with this name doesn't exist")
        elif key == "deletedFolder":
            prefix = value["path"].rstrip("/") + "/"
            files = {p: b for p, b in files.items() if not p.startswith(prefix)}
        else:
            raise HubError(400, None, f"Unknown commit operation {key!r}")
    sha = hub._commit(repo, branch, files, title)
    url = f"{hub.endpoint}/{repo.repo_id}/commit/{sha}"
    return _json({"success": True, "commitOid": sha, "commitUrl": url, "pullRequestUrl": None})


# --------------------------------------------------------------------- HTTP plumbing
def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _json(data: object, headers: Mapping[str, str] | None = None, *, status: int = 200) -> Reply:
    body = json.dumps(data).encode()
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, body)


def error_reply(error: HubError) -> Reply:
    headers = {"X-Error-Message": error.message, **error.headers}
    if error.code:
        headers["X-Error-Code"] = error.code
    return _json({"error": error.message}, headers, status=error.status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hub: HubServer, origin: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hub, self.origin = hub, origin
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    timeout = 30
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's per-request line on stderr; the hub keeps its own log."""

    def _dispatch(self) -> None:
        hub, origin = self.server.hub, self.server.origin
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body(headers)
        try:
            reply = hub.handle(origin, self.command, self.path, headers, body)
        except HubError as error:
            reply = error_reply(error)
        path, query = unquote(urlsplit(self.path).path), urlsplit(self.path).query
        hub.record(LoggedRequest(self.command, path, query, origin, headers, reply.status))
        self.send_response(reply.status)
        for name, value in {**reply.headers, "Content-Length": str(len(reply.body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        self.wfile.write(reply.body if reply.cut_at is None else reply.body[: reply.cut_at])
        if reply.cut_at is not None:
            self.wfile.flush()
            self.close_connection = True  # the client sees EOF before Content-Length bytes

    def _read_body(self, headers: Mapping[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(headers.get("content-length", "0")))


# --------------------------------------------------------------------- pointing the client at it
# huggingface_hub copies most environment variables into ``huggingface_hub.constants`` when it
# is first imported: ENDPOINT and the resolve-url template built from it, HF_HOME and every
# cache/token path derived from it, HF_HUB_OFFLINE, HF_HUB_DISABLE_TELEMETRY, HF_HUB_DISABLE_XET.
# The module-level HfApi behind ``huggingface_hub.model_info`` & co. keeps the endpoint it saw
# at import, and ``scan_cache_dir`` imported HF_HUB_CACHE by name. In a pytest process the
# package is imported long before a test runs, so these helpers set the variables (for what
# reads them at call time, like ``get_token`` and HF_TOKEN) *and* patch the copies.

_UNSET_ENV = (
    "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ASSETS_CACHE", "HUGGINGFACE_ASSETS_CACHE",
    "HF_TOKEN_PATH", "HF_XET_CACHE", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE",
    "TRANSFORMERS_OFFLINE", "HUGGINGFACE_CO_STAGING", "HF_HUB_ETAG_TIMEOUT",
)  # fmt: skip


def point_client_at(
    monkeypatch: pytest.MonkeyPatch, endpoint: str, hf_home: Path, token: str | None
) -> None:
    """Make the client use ``endpoint``, cache under ``hf_home`` and send ``token``."""
    for name in _UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {"HF_ENDPOINT": endpoint, "HF_HOME": str(hf_home), "HF_HUB_DISABLE_TELEMETRY": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if token is None:
        monkeypatch.delenv("HF_TOKEN", raising=False)
    else:
        monkeypatch.setenv("HF_TOKEN", token)
    cache = str(hf_home / "hub")
    copies: dict[str, object] = {
        "ENDPOINT": endpoint,
        "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": cache,
        "HUGGINGFACE_HUB_CACHE": cache,
        "HF_ASSETS_CACHE": str(hf_home / "assets"),
        "HF_XET_CACHE": str(hf_home / "xet"),
        # Otherwise a token file in the real home would be sent when HF_TOKEN is unset.
        "HF_TOKEN_PATH": str(hf_home / "token"),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
        "AGENT_HARNESSES_PATH": str(hf_home / ".agent_harnesses.json"),
        # With telemetry on, the first request of a process is preceded by a GET of
        # {ENDPOINT}/api/agent-harnesses (to build the user agent): noise in request counts.
        "HF_HUB_DISABLE_TELEMETRY": True,
    }
    for name, copy in copies.items():
        monkeypatch.setattr(constants, name, copy)
    set_offline(monkeypatch, False)
    monkeypatch.setattr(huggingface_hub.hf_api.api, "endpoint", endpoint)
    monkeypatch.setattr(_cache_manager, "HF_HUB_CACHE", cache)


def set_offline(monkeypatch: pytest.MonkeyPatch, offline: bool = True) -> None:
    """What ``HF_HUB_OFFLINE=1`` does to a process started with it (read at import)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)


def disable_xet(monkeypatch: pytest.MonkeyPatch, disabled: bool = True) -> None:
    """What ``HF_HUB_DISABLE_XET=1`` does (read at import): upload_folder's single-commit path."""
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1" if disabled else "0")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", disabled)
