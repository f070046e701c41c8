"""``glowtts voices export-onnx``: one graph whose audio equals the torch voice's (noise 0)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.onnx.torch_reference import torch_audio, torch_frames

ort = pytest.importorskip("onnxruntime")


def _onnx_audio(
    session: object, ids: list[int], *, length_scale: float, sid: int | None = None
) -> np.ndarray:
    feeds = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.0, length_scale, 0.8], dtype=np.float32),
    }
    if sid is not None:
        feeds["sid"] = np.array([sid], dtype=np.int64)
    out, _ = session.run(None, feeds)  # type: ignore[attr-defined]
    assert out.shape[:2] == (1, 1)
    return np.asarray(out[0, 0])


@pytest.mark.parametrize(("n_ids", "length_scale"), [(3, 1.0), (17, 1.0), (41, 1.3), (60, 0.7)])
def test_graph_audio_equals_torch_voice(
    exported_dir: Path, hifigan_voice_dir: Path, n_ids: int, length_scale: float
) -> None:
    session = ort.InferenceSession(str(exported_dir / "model.onnx"))
    rng = np.random.default_rng(n_ids)
    ids = [int(i) for i in rng.integers(1, 223, n_ids)]
    ours = torch_audio(hifigan_voice_dir, ids, length_scale=length_scale)
    graph = _onnx_audio(session, ids, length_scale=length_scale)
    assert graph.shape == ours.shape  # dynamic lengths: not the dummy input's
    assert np.ptp(ours) > 1e-2  # a signal that moves far more than the tolerance
    np.testing.assert_allclose(graph, ours, atol=2e-5, rtol=0)


def test_vocos_voice_exports_with_its_inverse_stft(vocos_voice_dir: Path, tmp_path: Path) -> None:
    from glowtts_cli.onnx.export import export_onnx

    session = ort.InferenceSession(str(export_onnx(vocos_voice_dir, tmp_path / "vocos")))
    for n_ids in (5, 33):
        ids = [int(i) for i in np.random.default_rng(n_ids).integers(1, 223, n_ids)]
        ours = torch_audio(vocos_voice_dir, ids, length_scale=1.0)
        graph = _onnx_audio(session, ids, length_scale=1.0)
        assert graph.shape == ours.shape
        np.testing.assert_allclose(graph, ours, atol=1e-5 * max(1e-3, np.abs(ours).max()), rtol=0)


def test_durations_output_gives_the_frames_per_id(
    exported_dir: Path, hifigan_voice_dir: Path
) -> None:
    session = ort.InferenceSession(str(exported_dir / "model.onnx"))
    ids = [int(i) for i in np.random.default_rng(5).integers(1, 223, 31)]
    feeds = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.0, 1.4, 0.8], dtype=np.float32),
    }
    wav, durations = session.run(None, feeds)
    assert durations.shape == (1, len(ids))
    frames = [round(float(f)) for f in durations[0]]
    assert frames == torch_frames(hifigan_voice_dir, ids, length_scale=1.4)
    assert sum(frames) * 256 == wav.shape[-1]


def test_graph_has_piper_interface(exported_dir: Path, exported_multispeaker_dir: Path) -> None:
    single = ort.InferenceSession(str(exported_dir / "model.onnx"))
    assert [i.name for i in single.get_inputs()] == ["input", "input_lengths", "scales"]
    assert [i.type for i in single.get_inputs()] == [
        "tensor(int64)",
        "tensor(int64)",
        "tensor(float)",
    ]
    assert single.get_inputs()[0].shape[1] == "phonemes"  # dynamic length
    multi = ort.InferenceSession(str(exported_multispeaker_dir / "model.onnx"))
    assert [i.name for i in multi.get_inputs()] == ["input", "input_lengths", "scales", "sid"]
    assert [o.name for o in multi.get_outputs()] == ["output", "durations"]


def test_speakers_go_through_sid(
    exported_multispeaker_dir: Path, hifigan_multispeaker_dir: Path
) -> None:
    session = ort.InferenceSession(str(exported_multispeaker_dir / "model.onnx"))
    ids = [int(i) for i in np.random.default_rng(0).integers(1, 223, 25)]
    by_speaker = []
    for sid in (0, 2):
        graph = _onnx_audio(session, ids, length_scale=1.0, sid=sid)
        ours = torch_audio(hifigan_multispeaker_dir, ids, length_scale=1.0, speaker=sid)
        assert graph.shape == ours.shape
        np.testing.assert_allclose(graph, ours, atol=2e-5, rtol=0)
        by_speaker.append(graph)
    assert by_speaker[0].shape != by_speaker[1].shape or not np.allclose(*by_speaker)


def test_noise_scale_samples_the_prior(exported_dir: Path) -> None:
    session = ort.InferenceSession(str(exported_dir / "model.onnx"))
    ids = [int(i) for i in np.random.default_rng(3).integers(1, 223, 20)]
    feeds = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32),
    }
    first, second = (session.run(None, feeds)[0] for _ in range(2))
    flat = _onnx_audio(session, ids, length_scale=1.0)
    assert first.shape == second.shape
    assert not np.allclose(first, second)  # a fresh draw each run
    assert not np.allclose(first[0, 0], flat)


def test_export_writes_a_voice_folder_and_piper_config(
    exported_dir: Path, hifigan_voice_dir: Path
) -> None:
    from glowtts_cli.files import sha256_file
    from glowtts_cli.voice_folder import read_voice_config

    cfg = read_voice_config(exported_dir)
    assert cfg == read_voice_config(hifigan_voice_dir)
    piper = json.loads((exported_dir / "model.onnx.json").read_text("utf-8"))
    assert piper["audio"]["sample_rate"] == cfg.audio.sample_rate
    assert piper["espeak"]["voice"] == "en-us"
    assert piper["num_symbols"] == cfg.text.n_vocab
    assert piper["num_speakers"] == 1
    assert piper["phoneme_id_map"]["_"] == [len(cfg.text.symbols)]  # the blank
    assert piper["phoneme_id_map"]["^"] == piper["phoneme_id_map"]["$"] == []
    assert piper["glowtts"]["model_sha256"] == sha256_file(hifigan_voice_dir / "model.safetensors")


def test_griffin_lim_voice_is_refused(tiny_voice_dir: Path, tmp_path: Path) -> None:
    from glowtts_cli.errors import ConfigError
    from glowtts_cli.onnx.export import export_onnx

    with pytest.raises(ConfigError, match="Griffin-Lim"):
        export_onnx(tiny_voice_dir, tmp_path / "out")
    assert not (tmp_path / "out" / "model.onnx").exists()


def test_cli_export_onnx(hifigan_voice_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from glowtts_cli.cli import app

    result = CliRunner().invoke(
        app, ["voices", "export-onnx", str(hifigan_voice_dir), "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "model.onnx").stat().st_size > 10_000
    assert (tmp_path / "x" / "model.onnx.json").is_file()
