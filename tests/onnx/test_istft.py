"""The Vocos vocoder in ONNX: the DFT-basis inverse STFT equals ``InverseSTFT`` and exports."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

ort = pytest.importorskip("onnxruntime")


def _vocos(win_length: int = 1024) -> torch.nn.Module:
    from glowtts_cli.config import AudioConfig, VocosConfig
    from glowtts_cli.vocoder.vocos import VocosGenerator

    audio = AudioConfig(win_length=win_length)
    cfg = VocosConfig.for_audio(audio, dim=32, intermediate_dim=64, n_layers=2)
    return VocosGenerator(cfg).eval()


@pytest.mark.parametrize("win_length", [1024, 800])
@pytest.mark.parametrize("n_frames", [1, 2, 37])
def test_dft_istft_equals_the_complex_one(win_length: int, n_frames: int) -> None:
    from glowtts_cli.onnx.istft import DftInverseSTFT

    generator = _vocos(win_length)
    istft = DftInverseSTFT(generator.istft)
    log_magnitude = torch.randn(2, 513, n_frames)
    phase = torch.randn(2, 513, n_frames) * 4  # any real phase, not only [-pi, pi]
    with torch.no_grad():
        expected = generator.istft(torch.polar(torch.exp(log_magnitude), phase))
        got = istft(log_magnitude, phase)
    assert got.shape == expected.shape == (2, n_frames * 256)
    scale = float(expected.abs().max())
    torch.testing.assert_close(got, expected, atol=1e-5 * scale, rtol=0)


def test_vocos_exports_with_dynamic_length() -> None:
    from glowtts_cli.onnx.istft import ExportableVocos

    generator = _vocos()
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            ExportableVocos(generator).eval(),
            (torch.randn(1, 80, 9),),
            buffer,
            input_names=["mel"],
            output_names=["wav"],
            dynamic_axes={"mel": {2: "frames"}, "wav": {1: "samples"}},
            opset_version=17,
            dynamo=False,
        )
    session = ort.InferenceSession(buffer.getvalue())
    for n_frames in (3, 50):
        mel = torch.randn(1, 80, n_frames)
        with torch.no_grad():
            expected = generator(mel).numpy()
        (got,) = session.run(None, {"mel": mel.numpy()})
        assert got.shape == expected.shape == (1, n_frames * 256)
        np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max(), rtol=0)
