"""Issue 18 item 2: ``voices remove`` deletes exactly what it is asked to, asking before many.

An empty revision (``org/name@``) or one too short or ambiguous is an error; removing more than
one revision asks for confirmation unless ``--yes`` (and refuses without a terminal to ask on).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from glowtts_cli.cli import main
from glowtts_cli.hub import resolve
from glowtts_cli.hub_cache import cached_revisions
from tests.hubserver import HubServer

pytestmark = pytest.mark.network

REPO = "org/a"


def glowtts(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
            ) -> tuple[int, str]:  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["glowtts", *argv])
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


@pytest.fixture
def two_revisions(hub_server: HubServer, tiny_voice_dir: Path) -> list[str]:
    voice_files = {p.name: p.read_bytes() for p in tiny_voice_dir.iterdir() if p.is_file()}
    old = hub_server.add_repo(REPO, voice_files)
    new = hub_server.add_repo(REPO, {**voice_files, "README.md": b"# v2"})
    resolve(f"{REPO}@{old}")
    resolve(f"{REPO}@{new}")
    return sorted([old, new])


def _one_error(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and lines[0].startswith("error: "), err
    assert len(lines) == 2 and lines[1].startswith("hint: "), err
    return err


def test_issue_18_trailing_at_is_an_error(
    two_revisions: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec, message in ((f"{REPO}@", "names no revision"), (f"{REPO}@ ", "names no revision"),
                          (f"{REPO}@{two_revisions[0][:2]}", "too short")):  # fmt: skip
        err = _one_error(*glowtts(["voices", "remove", spec], capsys, monkeypatch))
        assert message in err, err
    assert cached_revisions(REPO) == two_revisions


def test_issue_18_several_revisions_need_yes(
    two_revisions: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    err = _one_error(*glowtts(["voices", "remove", REPO], capsys, monkeypatch))
    assert "2 cached revisions" in err and "--yes" in err
    assert cached_revisions(REPO) == two_revisions
    code, err = glowtts(["voices", "remove", REPO, "--yes"], capsys, monkeypatch)
    assert code == 0 and f"removed {REPO}: 2 revision(s)" in err, err
    assert cached_revisions(REPO) == []


def test_issue_18_one_revision_by_prefix(
    two_revisions: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = glowtts(["voices", "remove", f"{REPO}@{two_revisions[0][:8]}"], capsys,
                        monkeypatch)  # fmt: skip
    assert code == 0 and "1 revision(s)" in err, err
    assert cached_revisions(REPO) == two_revisions[1:]
    # The last one alone needs no confirmation.
    code, err = glowtts(["voices", "remove", REPO], capsys, monkeypatch)
    assert code == 0 and "1 revision(s)" in err, err


def test_issue_18_ambiguous_prefix(
    two_revisions: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cached commits starting alike (snapshots made so): the prefix names neither."""
    from huggingface_hub import constants

    snapshots = Path(constants.HF_HUB_CACHE) / "models--org--a" / "snapshots"
    for sha in two_revisions:  # rename both to commits sharing "abcd"
        shutil.move(snapshots / sha, snapshots / f"abcd{sha[4:]}")
    renamed = sorted(f"abcd{sha[4:]}" for sha in two_revisions)
    err = _one_error(*glowtts(["voices", "remove", f"{REPO}@abcd"], capsys, monkeypatch))
    assert "ambiguous" in err and renamed[0][:12] in err and renamed[1][:12] in err
    assert cached_revisions(REPO) == renamed


def test_remove_takes_the_graphs_exported_for_the_voice(
    hub_server: HubServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`export-onnx org/name` (no --out) caches a graph; removing the voice removes it too."""
    pytest.importorskip("onnx")
    from glowtts_cli.onnx.export import export_onnx
    from tests.onnx.conftest import write_hifigan_voice

    monkeypatch.setenv("GLOWTTS_CACHE", str(tmp_path / "cache"))
    voice = write_hifigan_voice(tmp_path / "voice")
    hub_server.add_repo("org/g", {p.name: p.read_bytes() for p in voice.iterdir() if p.is_file()})
    graph = export_onnx("org/g").parent
    assert graph.parent == tmp_path / "cache" / "onnx" and (graph / "model.onnx.json").is_file()
    code, err = glowtts(["voices", "remove", "org/g"], capsys, monkeypatch)
    assert code == 0 and "removed org/g: 1 revision(s)" in err, err
    assert not graph.exists() and cached_revisions("org/g") == []
