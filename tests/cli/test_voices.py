"""``glowtts voices ...`` against the local Hub: the installed command in a subprocess for the main
flows, and ``cli.main()`` in-process for the error matrix (same boundary, no interpreter start-up).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from glowtts_cli.cli import main
from glowtts_cli.hub import resolve
from tests.hubserver import HubServer

pytestmark = pytest.mark.network

GLOWTTS = shutil.which("glowtts") or ""
REPO = "org/tiny"


def run(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed ``glowtts`` with this process's environment (HF_ENDPOINT, HF_HOME...)."""
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    return subprocess.run(
        [GLOWTTS, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def one_line_error(stderr: str, *hint_words: str) -> str:
    """An expected error: ``error:`` line, ``hint:`` line naming the fix, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 2, stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), stderr
    for word in hint_words:
        assert word in lines[1], (word, stderr)
    return lines[0]


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def hub_voice(hub_server: HubServer, tiny_voice_dir: Path) -> str:
    files = {p.name: p.read_bytes() for p in tiny_voice_dir.iterdir() if p.is_file()}
    return hub_server.add_repo(REPO, files)


def test_download_list_info_remove(hub_server: HubServer, hub_voice: str) -> None:
    got = ok(run("voices", "download", REPO))
    assert got.stdout == "" and f"ready: {REPO} → " in got.stderr and hub_voice in got.stderr

    rows = json.loads(ok(run("voices", "list", "--json")).stdout)
    cached = [r for r in rows if r["source"] == "cached"]
    assert len(cached) == 1
    row = cached[0]
    assert row["name"] == f"{REPO}@{hub_voice[:10]}" and row["revision"] == hub_voice
    assert row["repo_id"] == REPO and row["available_offline"] is True
    assert (row["language"], row["speakers"], row["license"]) == ("en-us", [], "MIT")
    assert row["bytes"] > 500_000  # the tiny model alone is ~0.5 MB

    table = ok(run("voices", "list"))
    assert table.stdout == ""  # tables go to stderr; stdout is for data
    assert f"{REPO}@{hub_voice[:10]}" in table.stderr and "en-us" in table.stderr

    hub_server.reset_log()
    info = ok(run("voices", "info", f"{REPO}@{hub_voice}", HF_HUB_OFFLINE="1"))
    assert hub_server.request_count == 0  # a cached pinned voice needs no network
    assert json.loads(info.stdout)["noise_scale"] == pytest.approx(0.667)
    assert "tiny-test" in info.stderr and "model.safetensors" in info.stderr

    removed = ok(run("voices", "remove", REPO))
    assert f"removed {REPO}: 1 revision(s)" in removed.stderr
    again = run("voices", "remove", REPO)
    assert again.returncode == 1
    assert "is not in the local cache" in one_line_error(again.stderr, "glowtts voices list")


def test_push_then_download_round_trip(
    hub_server: HubServer, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "voice"
    shutil.copytree(tiny_voice_dir, folder)
    (folder / "README.md").unlink()

    pushed = ok(run("voices", "push", folder, "pushed-voice"))

    spec = pushed.stdout.strip()
    repo_id, commit = spec.split("@")
    assert repo_id == f"{hub_server.user}/pushed-voice" and len(commit) == 40
    assert "published:" in pushed.stderr
    stored = hub_server.files(repo_id)
    assert stored["README.md"].startswith(b"---\nlicense: mit\n")
    assert stored["config.json"] == (tiny_voice_dir / "config.json").read_bytes()
    path = resolve(spec).path  # what `glowtts voices download` runs (tested above)
    assert (path / "config.json").read_bytes() == (tiny_voice_dir / "config.json").read_bytes()


@pytest.mark.parametrize(
    ("args", "env", "message", "hint"),
    [
        (["download", "org/missing"], {}, "Hub repo 'org/missing' not found", "voices list"),
        (["download", REPO], {"HF_HUB_OFFLINE": "1"}, "offline mode is on", f"download {REPO}"),
    ],
)
def test_error_paths_exit_1_with_one_line_and_a_hint(
    hub_server: HubServer,
    hub_voice: str,
    args: list[str],
    env: dict[str, str],
    message: str,
    hint: str,
) -> None:
    result = run("voices", *args, **env)
    assert result.returncode == 1 and result.stdout == ""
    assert message in one_line_error(result.stderr, hint)


def test_voices_list_does_not_import_torch(hub_server: HubServer, hub_voice: str) -> None:
    resolve(REPO)  # a cached voice: its config is read for the listing
    code = (
        "import sys; sys.argv = ['glowtts', 'voices', 'list', '--json'];"
        "from glowtts_cli.cli import main; main(); sys.stderr.write(str('torch' in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    rows = json.loads(result.stdout)
    assert REPO in [row["repo_id"] for row in rows if row["source"] == "cached"]
    assert result.stderr == "False"


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["download", f"{REPO}@no-such-branch"], "Revision 'no-such-branch'", f"download {REPO}"),
        (["download", "other/gated"], "the repo is gated", "hf auth login"),
        (["download", "other/secret"], "or it is private", "HF_TOKEN"),
        (["download", "org/card-only"], "has no config.json", "voices list"),
        (["download", "tiny-tset"], "Voice 'tiny-tset' not found", "voices list"),
        (["info", "{voice}/config.json"], "is a file, not a voice folder", "config.json"),
        (["remove", "org/tinny"], "Did you mean 'org/tiny'?", "voices list"),
        (["push", "{tmp}", "tester/v"], "has no config.json", "config.json"),
        (["push", "{voice}", "someone-else/v"], "Publishing to someone-else/v", "HF_TOKEN"),
    ],
)
def test_error_matrix_in_process(
    hub_server: HubServer,
    hub_voice: str,
    tiny_voice_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
    hint: str,
) -> None:
    hub_server.add_repo("other/gated", {"config.json": b"{}"}, gated=True)
    hub_server.add_repo("other/secret", {"config.json": b"{}"}, private=True)
    hub_server.add_repo("org/card-only", {"README.md": b"# not a voice"})
    if args[0] == "remove":
        monkeypatch.setattr(sys, "argv", ["glowtts", "voices", "download", REPO])
        main()
    argv = [a.format(voice=tiny_voice_dir, tmp=tmp_path) for a in args]
    monkeypatch.setattr(sys, "argv", ["glowtts", "voices", *argv])
    capsys.readouterr()

    with pytest.raises(SystemExit) as caught:
        main()

    assert caught.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in one_line_error(captured.err, hint)
