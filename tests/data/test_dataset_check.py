"""`check_dataset` reports one planted instance of every problem, at once, and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glowtts_cli.config import TextConfig
from glowtts_cli.data.issues import issue_kind
from glowtts_cli.data.validate import CheckThresholds, ClipStats, _rate_issues, check_dataset
from glowtts_cli.errors import DatasetError
from glowtts_cli.text.frontend import TextFrontend
from tests.data.audio_fixtures import speech_like, transcript, write, write_clip

CLEAN = {  # id -> (seconds, sample rate, channels, extension)
    "clean-1": (1.0, 16000, 1, "wav"),
    "clean-2": (1.2, 22050, 1, "wav"),
    "clean-3": (0.9, 8000, 2, "wav"),
    "clean-4": (1.1, 16000, 1, "flac"),
    "clean-5": (1.3, 44100, 2, "wav"),
    "clean-6": (0.8, 16000, 1, "wav"),
}


def build_planted(root: Path) -> dict[str, str]:
    """An LJSpeech-layout dataset with one planted instance of each problem: where -> kind."""
    wavs = root / "wavs"
    lines: list[bytes] = []

    def add(utt_id: str, text: str) -> None:
        lines.append(f"{utt_id}|{text}".encode())

    for i, (utt_id, (seconds, rate, channels, ext)) in enumerate(CLEAN.items()):
        name = utt_id if ext == "wav" else f"{utt_id}.{ext}"
        add(name, write_clip(wavs / f"{utt_id}.{ext}", seconds, rate, channels=channels, seed=i))
    add("missing", transcript(1.0))
    (wavs / "unreadable.wav").write_bytes(b"this is not audio at all" * 10)
    add("unreadable", transcript(1.0))
    nan = speech_like(1.0, 16000)
    nan[5000] = np.nan
    write(wavs / "nan.wav", nan, 16000, subtype="FLOAT")
    add("nan", transcript(1.0))
    full = wavs / "full.flac"
    write(full, np.random.default_rng(0).uniform(-0.5, 0.5, 48000).astype(np.float32), 16000)
    (wavs / "truncated.flac").write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    full.unlink()
    add("truncated.flac", transcript(2.0))
    write_clip(wavs / "empty.wav", 1.0)
    add("empty", "  ")
    write_clip(wavs / "latin.wav", 1.0)
    lines.append(b"latin|Caf\xe9 au lait bro.")
    add("dup", write_clip(wavs / "dup.wav", 1.0))
    add("dup", transcript(1.0))
    add("../../escape", transcript(1.0))
    clipped = np.clip(speech_like(1.0, 16000) * 3.0, -1.0, 1.0)
    write(wavs / "clipped.wav", clipped, 16000)
    add("clipped", transcript(1.0))
    write(wavs / "silent.wav", 1e-4 * np.random.default_rng(1).standard_normal(16000), 16000)
    add("silent", transcript(1.0))
    write(wavs / "quiet.wav", speech_like(1.0, 16000, level=0.005), 16000)
    add("quiet", transcript(1.0))
    write(wavs / "short.wav", speech_like(0.3, 16000, pad=0.05), 16000)
    add("short", transcript(0.3))
    add("long", write_clip(wavs / "long.wav", 21.0, 8000))
    write_clip(wavs / "fast.wav", 1.0)
    add("fast", transcript(1.0, rate=30.0))
    write_clip(wavs / "snowman.wav", 1.0)
    add("snowman", "The quick \u2603 fox jum.")
    write_clip(wavs / "dots.wav", 1.0)
    add("dots", "... !")
    lines.append(b"bad|line|with|four")
    (root / "metadata.csv").write_bytes(b"\n".join(lines) + b"\n")
    return {
        "missing": "missing_audio",
        "unreadable": "unreadable_audio",
        "nan": "corrupt_audio",
        "truncated.flac": "corrupt_audio",
        "empty": "empty_transcript",
        "latin": "non_utf8_transcript",
        "dup": "duplicate_id",
        "../../escape": "path_escape",
        "clipped": "clipping",
        "silent": "silent",
        "quiet": "silent",
        "short": "too_short",
        "long": "too_long",
        "fast": "speaking_rate",
        "snowman": "unknown_characters",
        "dots": "nothing_pronounceable",
        f"metadata.csv:{len(lines)}": "malformed_metadata",
    }


def test_every_planted_problem_is_reported_and_clean_clips_are_not(tmp_path: Path) -> None:
    expected = build_planted(tmp_path)
    progress: list[tuple[int, int]] = []
    frontend = TextFrontend(TextConfig(phonemizer="characters"))
    report = check_dataset(tmp_path, frontend, on_progress=lambda d, t: progress.append((d, t)))

    # A few seconds of audio: the dataset-wide note about its size is checked elsewhere.
    issues = [i for i in report.issues if issue_kind(i) != "little_audio"]
    assert len(issues) == len(report.issues) - 1
    found = {(i.where, issue_kind(i)) for i in issues}
    missing = {(where, kind) for where, kind in expected.items()} - found
    assert not missing, f"not reported: {missing}"
    # Nothing is reported about clean clips, and nothing is reported twice.
    assert not [i for i in issues if i.where.startswith("clean")]
    assert len(issues) == len(found) == len(expected)

    assert not report.ok
    severities = {issue_kind(i): i.severity for i in report.issues}
    assert severities["clipping"] == severities["speaking_rate"] == "warning"
    assert severities["missing_audio"] == severities["too_long"] == "error"
    s = report.summary
    assert s.layout == "ljspeech" and s.speakers == ()
    n_declared = len(CLEAN) + len(expected) - 1 - 1 + 1  # - escape - bad line + second 'dup'
    assert s.clips == n_declared
    assert progress[-1] == (n_declared, n_declared) and len(progress) == n_declared
    assert s.sample_rates == (8000, 16000, 22050, 44100)
    assert s.usable_clips == len(CLEAN) + 2  # + clipped and fast (warnings only)
    clean_seconds = sum(v[0] + 0.4 for v in CLEAN.values())
    usable_seconds = clean_seconds + 1.4 + 1.4
    assert s.usable_hours * 3600 == pytest.approx(usable_seconds, abs=1e-3)
    assert s.errors + s.warnings == len(report.issues)
    snowman = next(i for i in report.issues if i.where == "snowman")
    assert "'\u2603' (U+2603)" in snowman.problem
    assert report.bad_ids >= {"missing", "dup", "long"}
    assert "clean-1" not in report.bad_ids and "clipped" not in report.bad_ids

    with pytest.raises(DatasetError) as info:
        report.raise_for_errors()
    assert len(info.value.issues) == len(report.issues)


def test_clean_multi_speaker_csv_passes(tmp_path: Path) -> None:
    rows = ["audio,text,speaker"]
    for i, (utt_id, (seconds, rate, channels, ext)) in enumerate(CLEAN.items()):
        text = write_clip(tmp_path / f"{utt_id}.{ext}", seconds, rate, channels=channels, seed=i)
        rows.append(f'{utt_id}.{ext},"{text}",{"ann" if i % 2 else "bob"}')
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n", "utf-8")
    report = check_dataset(tmp_path, workers=1)
    assert report.ok and [issue_kind(i) for i in report.issues] == ["little_audio"]
    assert report.summary.speakers == ("ann", "bob")
    assert report.summary.clips == report.summary.usable_clips == len(CLEAN)
    rates = [c.chars_per_second for c in report.clips]
    assert min(rates) > 9.0 and max(rates) < 12.5


def _clip(i: int, rate: float) -> ClipStats:
    return ClipStats(f"c{i}", 16000, 1, 1.0, 1.0, round(rate))


def test_speaking_rate_is_robust_on_tiny_and_uniform_datasets() -> None:
    limits = CheckThresholds()
    # Three clips, one twice as fast: too few for statistics, within the absolute bounds.
    assert _rate_issues([_clip(0, 10), _clip(1, 11), _clip(2, 22)], limits) == []
    # ... but the absolute bounds still apply.
    flagged = _rate_issues([_clip(0, 10), _clip(1, 40)], limits)
    assert [i.where for i in flagged] == ["c1"]
    # Identical rates (MAD = 0): a clip 20 % faster is ordinary variation, not an outlier.
    uniform = [_clip(i, 12) for i in range(8)] + [_clip(8, 14)]
    assert _rate_issues(uniform, limits) == []
    # A real outlier in the same set is found.
    assert [i.where for i in _rate_issues([*uniform, _clip(9, 25)], limits)] == ["c9"]


def test_empty_dataset_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("only|\n", "utf-8")
    sf.write(str(tmp_path / "only.wav"), speech_like(1.0, 16000), 16000)
    report = check_dataset(tmp_path)
    assert [issue_kind(i) for i in report.issues] == ["empty_transcript"]
    (tmp_path / "metadata.csv").write_text("a|b|c|d\n", "utf-8")
    report = check_dataset(tmp_path)
    assert [issue_kind(i) for i in report.issues] == ["malformed_metadata", "no_utterances"]
    assert not report.ok


@pytest.mark.parametrize(
    ("config", "text", "unknown"),
    [
        (TextConfig(phonemizer="characters"), "Smørrebrød, 2 ☃s!", ["ø", "☃"]),
        (TextConfig(phonemizer="official", language="en"), "Price # & up.", ["#"]),
        (
            TextConfig(
                phonemizer="characters", symbols=("_", " ", ".", *"abcdefghijklmnopqrstuvwxyz")
            ),
            "Déjà vu.",
            ["à", "é"],
        ),
    ],
)
def test_unknown_characters_per_front_end(
    tmp_path: Path, config: TextConfig, text: str, unknown: list[str]
) -> None:
    text_clip = write_clip(tmp_path / "a.wav", 1.0)
    write_clip(tmp_path / "b.wav", 1.0)
    (tmp_path / "metadata.csv").write_text(f"a|{text_clip}\nb|{text}\n", "utf-8")
    report = check_dataset(tmp_path, TextFrontend(config))
    flagged = [i for i in report.issues if issue_kind(i) == "unknown_characters"]
    assert [i.where for i in flagged] == ["b"]
    for ch in unknown:
        assert f"'{ch}'" in flagged[0].problem
    assert "'s'" not in flagged[0].problem and "','" not in flagged[0].problem


@pytest.mark.requires_espeak
def test_unknown_characters_with_espeak(tmp_path: Path) -> None:
    write_clip(tmp_path / "a.wav", 1.0)
    write_clip(tmp_path / "b.wav", 1.0)
    (tmp_path / "metadata.csv").write_text(
        "a|The quick brown fox, 12 jumps.\nb|A snowman \u2603 in 1999.\n", "utf-8"
    )
    report = check_dataset(tmp_path, TextFrontend(TextConfig()))
    found = [(i.where, issue_kind(i)) for i in report.issues if issue_kind(i) != "little_audio"]
    assert found == [("b", "unknown_characters")]


def test_reading_and_checking_do_not_import_torch() -> None:
    code = (
        "import sys, glowtts_cli.data.validate, glowtts_cli.data.prepare; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
