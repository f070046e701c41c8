"""The voice catalog: every shipped entry is valid; the loader accepts and rejects entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from glowtts_cli.errors import ConfigError, VoiceNotFoundError
from glowtts_cli.files import sha256_file
from glowtts_cli.voices import (
    bundled_voice_dir,
    catalog_root,
    get_entry,
    load_catalog,
    parse_entry,
    read_catalog,
    suggest,
)
from tests.voices.catalog_files import catalog_entry, write_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
SHA = "ab" * 32
COMMIT = "c0ffee" + "0" * 34
FILES = {"config.json": b"{}", "model.safetensors": b"weights", "README.md": b"# card"}


def valid() -> dict[str, Any]:
    return catalog_entry("tiny", "org/tiny", COMMIT, FILES)


def test_every_shipped_entry_is_valid() -> None:
    """Each voices/*.json parses, is named after its file, and its files can be checked."""
    source = REPO_ROOT / "voices"
    entries = read_catalog(source)
    assert sorted(entries) == sorted(p.stem for p in source.glob("*.json"))
    assert load_catalog() == read_catalog(catalog_root())  # what the installed package reads
    for entry in entries.values():
        assert entry.description and len(entry.description.splitlines()) == 1, entry.name
        if entry.bundled:  # a bundled voice ships its files: their sha256 must match
            folder = bundled_voice_dir(entry)
            for filename, sha in entry.files.items():
                assert sha256_file(folder / filename) == sha, (entry.name, filename)
        else:
            assert entry.repo_id and len(entry.revision) == 40, entry.name


def test_a_temp_catalog_round_trips(tmp_path: Path) -> None:
    bundled = {
        "name": "local-1",
        "language": "de",
        "sample_rate": 16000,
        "license": "CC-BY-4.0",
        "bundled": True,
        "speakers": ["a", "b"],
        "files": {"config.json": SHA, "model.safetensors": SHA},
    }
    root = write_catalog(tmp_path / "voices", valid(), bundled)

    entries = read_catalog(root)

    assert sorted(entries) == ["local-1", "tiny"]
    tiny = entries["tiny"]
    assert (tiny.repo_id, tiny.revision, tiny.sample_rate, tiny.bundled) == (
        "org/tiny",
        COMMIT,
        22050,
        False,
    )
    assert set(tiny.files) == set(FILES) and tiny.speakers == ()
    assert entries["local-1"].speakers == ("a", "b") and entries["local-1"].description == ""
    assert read_catalog(tmp_path / "missing") == {}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"repo": "org/tiny"}, "unknown catalog key(s) repo (did you mean 'repo_id'?)"),
        ({"name": None}, "'name' must be a str"),
        ({"name": "Tiny Voice"}, "must use a-z"),
        ({"language": ""}, "language and license must be set"),
        ({"sample_rate": "22050"}, "'sample_rate' must be a int"),
        ({"sample_rate": True}, "'sample_rate' must be a int"),
        ({"sample_rate": 0}, "sample_rate positive"),
        ({"bundled": "false"}, "'bundled' must be a bool"),
        ({"bundled": True}, "either bundled or names a repo_id"),
        ({"speakers": "ab"}, "'speakers' must be a list"),
        ({"speakers": [1]}, "'speakers' must be a list of names"),
        ({"files": ["config.json"]}, "'files' must be a dict"),
        ({"files": {"config.json": SHA}}, "must include config.json and model.safetensors"),
        ({"files": {"config.json": SHA, "model.safetensors": "abc"}}, "its sha256 (64 hex)"),
        ({"files": {"config.json": SHA, "model.safetensors": 5}}, "its sha256 (64 hex)"),
        ({"files": {"config.json": SHA, "model.safetensors": SHA, "../x": SHA}}, "bad file name"),
        ({"repo_id": "tiny"}, "repo_id 'org/name' and a 40-hex revision"),
        ({"revision": "main"}, "repo_id 'org/name' and a 40-hex revision"),
    ],
)
def test_invalid_entries_name_the_problem(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    data = {**valid(), **change}
    root = tmp_path / "voices"
    root.mkdir()
    (root / "tiny.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        read_catalog(root)
    assert problem in caught.value.message
    assert str(root / "tiny.json") in caught.value.message


@pytest.mark.parametrize("drop", ["name", "language", "sample_rate", "license", "files"])
def test_required_keys(drop: str) -> None:
    data = {k: v for k, v in valid().items() if k != drop}
    with pytest.raises(ConfigError, match=f"missing catalog key '{drop}'"):
        parse_entry(data, where="x.json")


def test_file_name_must_match_and_json_must_parse(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "a", valid())
    (root / "tiny.json").rename(root / "other.json")
    with pytest.raises(ConfigError, match="must be named after the voice"):
        read_catalog(root)
    broken = tmp_path / "b"
    broken.mkdir()
    (broken / "x.json").write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable catalog entry"):
        read_catalog(broken)
    (broken / "x.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="must be a JSON object"):
        read_catalog(broken)


def test_suggestions_and_unknown_names() -> None:
    names = ["ljspeech", "ljspeech-blank", "vctk"]
    assert suggest("lj-speach", names)[0] == "ljspeech"
    assert suggest("zzz", names) == []
    with pytest.raises(VoiceNotFoundError) as caught:
        get_entry("no-such-voice-name")
    assert "no-such-voice-name" in caught.value.message
    assert "glowtts voices list" in (caught.value.hint or "")
