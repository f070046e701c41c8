"""The three dataset layouts are read correctly and detected automatically."""

from __future__ import annotations

from pathlib import Path

import pytest

from glowtts_cli.data.issues import issue_kind
from glowtts_cli.data.manifest import read_manifest
from glowtts_cli.errors import DatasetError
from tests.data.audio_fixtures import write_clip


def kinds(issues: object) -> list[str]:
    return [issue_kind(i) for i in issues]  # type: ignore[attr-defined]


def test_ljspeech_layout_with_and_without_normalized_column(tmp_path: Path) -> None:
    write_clip(tmp_path / "wavs" / "LJ001-0001.wav", 0.6)
    write_clip(tmp_path / "wavs" / "LJ001-0002.wav", 0.6)
    (tmp_path / "metadata.csv").write_text(
        "\ufeffLJ001-0001|In 1865 he said|In eighteen sixty-five he said\n"
        "\n"
        'LJ001-0002|"Quoted", with a comma\r\n',
        "utf-8",
    )
    m = read_manifest(tmp_path)
    assert m.layout == "ljspeech" and m.issues == ()
    assert [u.id for u in m.utterances] == ["LJ001-0001", "LJ001-0002"]
    assert m.utterances[0].text == "In eighteen sixty-five he said"
    assert m.utterances[1].text == '"Quoted", with a comma'
    assert m.utterances[0].audio == tmp_path / "wavs" / "LJ001-0001.wav"
    assert m.utterances[1].source == "metadata.csv:3"
    assert m.speakers == ()


def test_folder_layout_nested_with_missing_and_orphan_transcripts(tmp_path: Path) -> None:
    text = write_clip(tmp_path / "a.wav", 0.6)
    (tmp_path / "a.txt").write_text(f"  {text}\n  second line ", "utf-8")
    write_clip(tmp_path / "book" / "ch1" / "b.flac", 0.6)
    (tmp_path / "book" / "ch1" / "b.txt").write_text("Hello there.", "utf-8")
    write_clip(tmp_path / "c.ogg", 0.6)  # no transcript
    (tmp_path / "lonely.txt").write_text("No audio for me.", "utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    m = read_manifest(tmp_path)
    assert m.layout == "folder"
    assert {u.id: u.text for u in m.utterances} == {
        "a": f"{text} second line",
        "book/ch1/b": "Hello there.",
    }
    assert sorted(kinds(m.issues)) == ["missing_transcript", "orphan_transcript"]
    assert {i.where for i in m.issues} == {"c", "lonely.txt"}
    assert [i.severity for i in m.issues if i.where == "lonely.txt"] == ["warning"]


def test_csv_layout_multi_speaker_with_quotes_and_other_delimiters(tmp_path: Path) -> None:
    write_clip(tmp_path / "audio" / "x.wav", 0.6)
    write_clip(tmp_path / "audio" / "y.wav", 0.6)
    (tmp_path / "data.csv").write_text(
        'Speaker,Audio,Text,duration\nbob,audio/x.wav,"Hi, Bob.",1\nann,audio/y.wav,Yes.,1\n',
        "utf-8",
    )
    m = read_manifest(tmp_path)
    assert m.layout == "csv"
    assert [(u.id, u.speaker, u.text) for u in m.utterances] == [
        ("audio/x", "bob", "Hi, Bob."),
        ("audio/y", "ann", "Yes."),
    ]
    assert m.speakers == ("ann", "bob")
    # The unknown 'duration' column is a warning only.
    assert [(issue_kind(i), i.severity) for i in m.issues] == [("malformed_metadata", "warning")]

    (tmp_path / "data.csv").unlink()
    (tmp_path / "metadata.csv").write_text("audio|text\naudio/x.wav|Hi.\n", "utf-8")
    m = read_manifest(tmp_path)
    assert m.layout == "csv" and m.utterances[0].text == "Hi." and m.issues == ()


def test_csv_file_can_be_passed_directly_and_layout_forced(tmp_path: Path) -> None:
    write_clip(tmp_path / "x.wav", 0.6)
    (tmp_path / "x.txt").write_text("Folder text.", "utf-8")
    (tmp_path / "one.csv").write_text("audio,text\nx.wav,Table text.\n", "utf-8")
    (tmp_path / "two.csv").write_text("audio,text\nx.wav,Other.\n", "utf-8")
    with pytest.raises(DatasetError, match="several CSV tables"):
        read_manifest(tmp_path)
    assert read_manifest(tmp_path / "two.csv").utterances[0].text == "Other."
    assert read_manifest(tmp_path, layout="folder").utterances[0].text == "Folder text."
    with pytest.raises(DatasetError, match="Did you mean 'folder'"):
        read_manifest(tmp_path, layout="foldr")


def test_malformed_metadata_is_reported_line_by_line(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_bytes(
        b"ok|Fine.\n"
        b"too|many|fields|here\n"
        b"|no id\n"
        b"latin|caf\xe9\n"
        b"empty|   \n"
        b"ok|Again.\n"
        b"../../etc/passwd|Sneaky.\n"
    )
    m = read_manifest(tmp_path)
    found = [(i.where, issue_kind(i)) for i in m.issues]
    assert found == [
        ("metadata.csv:2", "malformed_metadata"),
        ("metadata.csv:3", "malformed_metadata"),
        ("latin", "non_utf8_transcript"),
        ("empty", "empty_transcript"),
        ("../../etc/passwd", "path_escape"),
        ("ok", "duplicate_id"),
    ]
    assert m.utterances[1].text == "caf\ufffd"


def test_csv_errors(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("file,words\nx.wav,Hi\n", "utf-8")
    with pytest.raises(DatasetError, match="neither LJSpeech metadata"):
        read_manifest(tmp_path)  # not a header naming audio and text, and not id|text
    (tmp_path / "metadata.csv").unlink()
    (tmp_path / "t.csv").write_text(
        "audio,text,speaker\n/abs/x.wav,Hi,a\nx.wav,Hi\n,Hi,a\nsub/../../y.wav,Hi,a\nz.wav,Hi,\n",
        "utf-8",
    )
    m = read_manifest(tmp_path)
    assert [(i.where, issue_kind(i)) for i in m.issues] == [
        ("/abs/x", "path_escape"),
        ("t.csv:3", "malformed_metadata"),
        ("t.csv:4", "malformed_metadata"),
        ("../y", "path_escape"),
        ("t.csv:6", "malformed_metadata"),
    ]


def test_no_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        read_manifest(tmp_path / "nope")
    (tmp_path / "notes.md").write_text("hello", "utf-8")
    with pytest.raises(DatasetError, match="No dataset found") as info:
        read_manifest(tmp_path)
    assert info.value.hint is not None and "metadata.csv" in info.value.hint
