"""Piper's own runtime loads an exported voice and speaks through Piper's phonemizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.onnx.torch_reference import torch_audio

pytest.importorskip("onnxruntime")
piper = pytest.importorskip("piper")

pytestmark = pytest.mark.requires_espeak

# Sentences our front end and Piper's espeak build turn into the same ids (docs/voices.md lists
# where they differ: numbers, abbreviations, symbols and quotes, which our normaliser expands).
AGREEING_TEXT = "Hello world. The quick brown fox jumps over the lazy dog. Wait, what is this?"


def test_piper_speaks_an_exported_voice_like_ours(
    exported_dir: Path, hifigan_voice_dir: Path
) -> None:
    from piper import PiperVoice, SynthesisConfig

    from glowtts_cli.text.frontend import TextFrontend
    from glowtts_cli.voice_folder import read_voice_config

    voice = PiperVoice.load(exported_dir / "model.onnx", exported_dir / "model.onnx.json")
    assert voice.config.sample_rate == 22050
    flat = SynthesisConfig(noise_scale=0.0, length_scale=1.0, normalize_audio=False)
    chunks = list(voice.synthesize(AGREEING_TEXT, flat))
    ours = TextFrontend(read_voice_config(exported_dir).text).encode_sentences(AGREEING_TEXT)
    assert len(chunks) == len(ours) == 3
    for chunk, (_, ids) in zip(chunks, ours, strict=True):
        assert chunk.phoneme_ids == ids  # Piper builds our ids: blanks, no start/end ids
        expected = torch_audio(hifigan_voice_dir, ids)
        assert len(chunk.audio_float_array) == len(expected)
        assert len(expected) % 256 == 0 and len(expected) >= 256 * len(ids) // 2
        np.testing.assert_allclose(chunk.audio_float_array, expected, atol=2e-5, rtol=0)


def test_piper_picks_speakers_by_id(
    exported_multispeaker_dir: Path, hifigan_multispeaker_dir: Path
) -> None:
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(exported_multispeaker_dir / "model.onnx")
    assert voice.config.num_speakers == 3
    assert voice.config.speaker_id_map == {"spk0": 0, "spk1": 1, "spk2": 2}
    flat = SynthesisConfig(speaker_id=2, noise_scale=0.0, normalize_audio=False)
    (chunk,) = voice.synthesize("Hello world.", flat)
    expected = torch_audio(hifigan_multispeaker_dir, list(chunk.phoneme_ids), speaker=2)
    np.testing.assert_allclose(chunk.audio_float_array, expected, atol=2e-5, rtol=0)


def test_piper_reads_the_durations_as_alignments(exported_dir: Path) -> None:
    from piper import PiperVoice

    voice = PiperVoice.load(exported_dir / "model.onnx")
    (chunk,) = voice.synthesize("Hello world.", include_alignments=True)
    assert chunk.phoneme_alignments is not None
    assert sum(a.num_samples for a in chunk.phoneme_alignments) == len(chunk.audio_float_array)


def test_piper_wav_has_the_lengths_of_its_sentences(exported_dir: Path, tmp_path: Path) -> None:
    import wave

    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(exported_dir / "model.onnx")
    syn = SynthesisConfig(length_scale=1.0)
    with wave.open(str(tmp_path / "out.wav"), "wb") as wav:
        voice.synthesize_wav(AGREEING_TEXT, wav, syn)
    chunks = list(voice.synthesize(AGREEING_TEXT, syn))
    with wave.open(str(tmp_path / "out.wav"), "rb") as wav:
        assert wav.getframerate() == 22050
        assert wav.getnframes() == sum(len(c.audio_float_array) for c in chunks) > 0
