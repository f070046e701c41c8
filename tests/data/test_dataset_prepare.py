"""Preparation: trimmed, normalised features from the voice's front end, cached per clip."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from glowtts_cli.audio.mel import frame_count
from glowtts_cli.config import AudioConfig, TextConfig
from glowtts_cli.data import levels
from glowtts_cli.data.dataset import BucketBatchSampler, TextMelDataset, collate
from glowtts_cli.data.issues import issue_kind
from glowtts_cli.data.prepare import PreparedDataset, PrepareOptions, prepare_dataset
from glowtts_cli.errors import DatasetError
from glowtts_cli.text.frontend import TextFrontend
from tests.data.audio_fixtures import speech_like, transcript, write, write_clip

AUDIO = AudioConfig(sample_rate=16000, n_fft=512, hop_length=128, win_length=512, n_mels=16)
TEXT = TextConfig(phonemizer="characters", add_blank=True)


def build(root: Path, n: int = 6) -> dict[str, str]:
    """LJSpeech layout, mixed rates and channels; returns id -> transcript."""
    texts = {}
    specs = [(16000, 1), (22050, 1), (44100, 2), (8000, 1), (16000, 2), (24000, 1)]
    for i in range(n):
        rate, channels = specs[i % len(specs)]
        utt_id = f"utt{i}"
        texts[utt_id] = write_clip(
            root / "wavs" / f"{utt_id}.wav", 0.6 + 0.1 * i, rate, channels=channels, seed=i
        )
    write_metadata(root, texts)
    return texts


def write_metadata(root: Path, texts: dict[str, str]) -> None:
    lines = "".join(f"{k}|{v}\n" for k, v in texts.items())
    (root / "metadata.csv").write_text(lines, "utf-8")


def feature_mtimes(prepared: PreparedDataset) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in prepared.directory.glob("*.npz")}


def test_features_use_the_voice_front_end_and_shared_mel(tmp_path: Path) -> None:
    data, run = tmp_path / "data", tmp_path / "run"
    texts = build(data)
    progress: list[tuple[int, int]] = []
    prepared = prepare_dataset(
        data, run, text=TEXT, audio=AUDIO, on_progress=lambda d, t: progress.append((d, t))
    )
    assert progress == [(i, 6) for i in range(1, 7)]
    assert (prepared.computed, prepared.reused) == (6, 0)
    assert len(prepared.train) == 5 and len(prepared.val) == 1
    assert prepared.speakers == () and prepared.skipped == ()
    frontend = TextFrontend(TEXT)
    for utt in (*prepared.train, *prepared.val):
        ids, mel = prepared.features(utt)
        # The same ids synthesis would use for the same text (one path from text to ids).
        assert ids.dtype == np.int64 and ids.tolist() == frontend.encode(texts[utt.id])
        assert mel.dtype == np.float32 and mel.shape == (16, utt.n_frames)
        assert utt.n_tokens == len(ids) and utt.text == texts[utt.id]
        # 0.2 s of faint noise on each side was trimmed to the 0.05 s margin (+ up to one
        # 25 ms analysis frame per side: 2 x 400 samples = 6.25 mel frames).
        speech = 0.6 + 0.1 * int(utt.id[3:])
        trimmed = frame_count(round((speech + 0.1) * 16000), n_fft=512, hop_length=128)
        assert 0 <= utt.n_frames - trimmed <= 7
        assert np.isfinite(mel).all()
    assert PreparedDataset.read(run) == PreparedDataset(
        prepared.directory, (), prepared.train, prepared.val
    )


def test_peak_normalisation_and_trimming_make_level_and_padding_irrelevant(tmp_path: Path) -> None:
    base = speech_like(0.8, 16000, pad=0.0)
    silence = np.zeros(8000, dtype=np.float32)
    write(tmp_path / "loud.wav", base, 16000, subtype="FLOAT")
    write(tmp_path / "soft.wav", 0.1 * base, 16000, subtype="FLOAT")
    write(tmp_path / "padded.wav", np.concatenate([silence, base, silence]), 16000, "FLOAT")
    text = transcript(0.8)
    for name in ("loud", "soft", "padded"):
        (tmp_path / f"{name}.txt").write_text(text, "utf-8")
    prepared = prepare_dataset(tmp_path, tmp_path / "run", text=TEXT, audio=AUDIO)
    mels = {u.id: prepared.features(u)[1] for u in (*prepared.train, *prepared.val)}
    np.testing.assert_allclose(mels["soft"], mels["loud"], atol=1e-3)  # log near the floor
    # Silence beyond the margin is cut: the padded clip keeps 2 x 0.05 s of it (12.5 frames),
    # plus up to one 25 ms analysis frame per side (6.25 frames) of its 2 x 0.5 s (62.5 frames).
    extra = mels["padded"].shape[1] - mels["loud"].shape[1]
    assert 12 <= extra <= 19


def test_cache_is_reused_and_invalidated_per_clip(tmp_path: Path) -> None:
    data, run = tmp_path / "data", tmp_path / "run"
    texts = build(data)
    first = prepare_dataset(data, run, text=TEXT, audio=AUDIO)
    before = feature_mtimes(first)
    manifest = (run / "prepared" / "manifest.json").read_text("utf-8")

    again = prepare_dataset(data, run, text=TEXT, audio=AUDIO)
    assert (again.computed, again.reused) == (0, 6)
    assert feature_mtimes(again) == before
    assert (run / "prepared" / "manifest.json").read_text("utf-8") == manifest
    assert (again.train, again.val) == (first.train, first.val)

    texts["utt2"] = "A different transcript now."
    write_metadata(data, texts)
    changed_text = prepare_dataset(data, run, text=TEXT, audio=AUDIO)
    assert (changed_text.computed, changed_text.reused) == (1, 5)
    after = feature_mtimes(changed_text)
    assert len(after) == 6  # the stale file was removed
    assert len(set(after) - set(before)) == 1

    wav = data / "wavs" / "utt4.wav"
    write_clip(wav, 0.9, 16000, seed=99)
    os.utime(wav, ns=(wav.stat().st_atime_ns, wav.stat().st_mtime_ns + 10**9))
    changed_audio = prepare_dataset(data, run, text=TEXT, audio=AUDIO)
    assert (changed_audio.computed, changed_audio.reused) == (1, 5)

    other_voice = prepare_dataset(data, run, text=TEXT, audio=AUDIO.__class__(
        sample_rate=16000, n_fft=512, hop_length=128, win_length=512, n_mels=20
    ))  # fmt: skip
    assert (other_voice.computed, other_voice.reused) == (6, 0)
    assert other_voice.features(other_voice.train[0])[1].shape[0] == 20
    assert len(feature_mtimes(other_voice)) == 6


def test_lost_manifest_reuses_complete_files_and_recomputes_damaged_ones(tmp_path: Path) -> None:
    data, run = tmp_path / "data", tmp_path / "run"
    build(data, n=3)
    first = prepare_dataset(data, run, text=TEXT, audio=AUDIO)
    (run / "prepared" / "manifest.json").unlink()
    damaged = first.directory / first.train[0].file
    damaged.write_bytes(damaged.read_bytes()[:50])
    second = prepare_dataset(data, run, text=TEXT, audio=AUDIO)
    assert (second.computed, second.reused) == (1, 2)
    assert (second.train, second.val) == (first.train, first.val)


def test_split_is_deterministic_and_independent_of_file_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    texts = build(data, n=6)
    a = prepare_dataset(data, tmp_path / "a", text=TEXT, audio=AUDIO)
    write_metadata(data, dict(reversed(list(texts.items()))))
    b = prepare_dataset(data, tmp_path / "b", text=TEXT, audio=AUDIO)
    assert {u.id for u in a.val} == {u.id for u in b.val}
    other = prepare_dataset(
        data, tmp_path / "c", text=TEXT, audio=AUDIO, options=PrepareOptions(val_fraction=0.5)
    )
    assert len(other.val) == 3 and len(other.train) == 3


def test_problems_stop_preparation_unless_skipped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    texts = build(data, n=4)
    texts["gone"] = "No audio here."
    texts["dots"] = "..."
    write_clip(data / "wavs" / "dots.wav", 0.8)
    (data / "wavs" / "junk.wav").write_bytes(b"junk" * 100)
    texts["junk"] = "Junk audio."
    write_metadata(data, texts)
    with pytest.raises(DatasetError) as info:
        prepare_dataset(data, tmp_path / "run", text=TEXT, audio=AUDIO)
    found = {(i.where, issue_kind(i)) for i in info.value.issues}
    assert found == {
        ("gone", "missing_audio"),
        ("dots", "nothing_pronounceable"),
        ("junk", "corrupt_audio"),
    }
    options = PrepareOptions(skip_invalid=True)
    prepared = prepare_dataset(data, tmp_path / "run", text=TEXT, audio=AUDIO, options=options)
    assert {(i.where, issue_kind(i)) for i in prepared.skipped} == found
    assert len(prepared.train) + len(prepared.val) == 4
    assert prepared.reused == 4  # the good clips prepared before the failure were kept
    fewer = prepare_dataset(
        data, tmp_path / "run", text=TEXT, audio=AUDIO, exclude={"gone", "dots", "junk", "utt0"}
    )
    assert sorted(u.id for u in (*fewer.train, *fewer.val)) == ["utt1", "utt2", "utt3"]
    assert fewer.skipped == () and (fewer.computed, fewer.reused) == (0, 3)

    (data / "metadata.csv").write_text("a|b|c|d\n", "utf-8")
    with pytest.raises(DatasetError, match="metadata"):
        prepare_dataset(data, tmp_path / "run", text=TEXT, audio=AUDIO)
    with pytest.raises(DatasetError, match="No usable clips"):
        prepare_dataset(data, tmp_path / "run", text=TEXT, audio=AUDIO, options=options)


def test_multi_speaker_loader_end_to_end(tmp_path: Path) -> None:
    rows = ["audio,text,speaker"]
    for i in range(6):
        text = write_clip(tmp_path / f"c{i}.wav", 0.6 + 0.05 * i, 16000, seed=i)
        rows.append(f'c{i}.wav,"{text}",{("zoe", "al", "kim")[i % 3]}')
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n", "utf-8")
    prepared = prepare_dataset(
        tmp_path, tmp_path / "run", text=TEXT, audio=AUDIO, options=PrepareOptions(val_fraction=0)
    )
    assert prepared.speakers == ("al", "kim", "zoe") and prepared.val == ()
    train = TextMelDataset(prepared, "train")
    sampler = BucketBatchSampler(train.lengths, 2, seed=0)
    loader = DataLoader(train, batch_sampler=sampler, collate_fn=collate)
    seen = []
    for batch in loader:
        b = batch.x.shape[0]
        assert batch.y.shape == (b, 16, int(batch.y_lengths.max()))
        assert batch.x.shape == (b, int(batch.x_lengths.max()))
        assert batch.x.dtype == batch.speakers.dtype == torch.long
        for i, utt_id in enumerate(batch.ids):
            expected = ("zoe", "al", "kim")[int(utt_id[1:]) % 3]
            assert prepared.speakers[int(batch.speakers[i])] == expected
        seen += batch.ids
    assert sorted(seen) == sorted(u.id for u in prepared.train)
    with pytest.raises(DatasetError, match="Unknown split"):
        TextMelDataset(prepared, "test")


def test_speech_bounds_keep_speech_and_a_margin() -> None:
    rate = 16000
    audio = np.zeros(rate * 2, dtype=np.float32)
    audio[8000:24000] = 0.3 * np.sin(np.arange(16000) * 0.2)
    start, end = levels.speech_bounds(audio, rate, margin_s=0.05)
    # Boundaries are conservative by up to one frame (400 samples): onsets are never cut.
    assert 8000 - 800 - 400 <= start <= 8000 - 800
    assert 24000 + 800 <= end <= 24000 + 800 + 400
    assert levels.speech_bounds(np.zeros(100, dtype=np.float32), rate) == (0, 100)
    assert levels.trim_silence(np.zeros(0, dtype=np.float32), rate).size == 0
    assert levels.rms_dbfs(np.ones(10, dtype=np.float32)) == pytest.approx(0.0)
    assert levels.rms_dbfs(np.zeros(10, dtype=np.float32)) == levels.SILENCE_DB
    assert levels.clipped_fraction(np.array([1.0, 0.5, -1.0, 0.2], dtype=np.float32)) == 0.5
