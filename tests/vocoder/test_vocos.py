"""Vocos generator: shapes, an exact inverse STFT, exact chunking, presets and config checks."""

from __future__ import annotations

import pytest
import torch

from glowtts_cli.audio.mel import MelSpectrogram
from glowtts_cli.config import AudioConfig, VocoderConfig, VocosConfig
from glowtts_cli.errors import ConfigError
from glowtts_cli.vocoder import stream_vocode
from glowtts_cli.vocoder.vocos import InverseSTFT, VocosGenerator, receptive_field_frames

AUDIOS = [
    AudioConfig(),
    AudioConfig(sample_rate=16000, n_fft=512, hop_length=128, win_length=512, n_mels=40),
    AudioConfig(n_fft=1024, hop_length=200, win_length=800, fmax=None),
]


def _tiny(audio: AudioConfig) -> VocosGenerator:
    return VocosGenerator(VocosConfig.tiny(audio)).double().eval()


@pytest.mark.parametrize("audio", AUDIOS)
@pytest.mark.parametrize("n_frames", [1, 7, 33])
def test_output_length_is_frames_times_hop(audio: AudioConfig, n_frames: int) -> None:
    wav = _tiny(audio).vocode(torch.randn(2, audio.n_mels, n_frames, dtype=torch.float64))
    assert wav.shape == (2, n_frames * audio.hop_length)
    assert bool(torch.isfinite(wav).all()) and float(wav.abs().max()) <= 1.0


@pytest.mark.parametrize("audio", AUDIOS)
def test_inverse_stft_undoes_the_mel_framing(audio: AudioConfig) -> None:
    """The STFT that MelSpectrogram analyses with, inverted, gives the signal back."""
    wav = 0.3 * torch.randn(2, audio.hop_length * 20, dtype=torch.float64)
    spec = MelSpectrogram(audio).double().stft(wav)  # [2, F, 20]
    istft = InverseSTFT(
        n_fft=audio.n_fft, hop_length=audio.hop_length, win_length=audio.win_length
    ).double()
    assert spec.shape[-1] == 20
    assert torch.allclose(istft(spec), wav, atol=1e-10)


@pytest.mark.parametrize("audio", AUDIOS)
@pytest.mark.parametrize(("chunk", "first"), [(1, None), (5, 2), (16, 3), (200, None)])
def test_chunks_equal_one_shot(audio: AudioConfig, chunk: int, first: int | None) -> None:
    generator = _tiny(audio)
    mel = torch.randn(2, audio.n_mels, 61, dtype=torch.float64)
    whole = generator.vocode(mel)
    pieces = list(stream_vocode(generator, mel, chunk_frames=chunk, first_chunk_frames=first))
    streamed = torch.cat(pieces, dim=1)
    assert streamed.shape == whole.shape
    assert (streamed - whole).abs().max() < 1e-12  # float64: exact up to rounding


@pytest.mark.parametrize("audio", AUDIOS)
def test_receptive_field_is_exact(audio: AudioConfig) -> None:
    """Changing mel frame c moves output samples exactly context_frames frames away, no further."""
    generator = _tiny(audio)
    reach = generator.context_frames
    n, c, hop = 2 * reach + 11, reach + 5, audio.hop_length
    mel = torch.randn(1, audio.n_mels, n, dtype=torch.float64)
    changed = mel.clone()
    changed[:, :, c] += 1.0
    diff = (generator(changed) - generator(mel)).abs()[0].reshape(n, hop).amax(dim=1)  # [n]
    moved = torch.nonzero(diff > 1e-12).flatten()
    assert int(moved.min()) == c - reach and int(moved.max()) == c + reach


def test_context_below_the_receptive_field_is_not_exact() -> None:
    generator = _tiny(AudioConfig())
    mel = torch.randn(1, 80, 50, dtype=torch.float64)
    whole = generator.vocode(mel)
    short = generator.context_frames - 1
    pieces = stream_vocode(generator, mel, chunk_frames=9, context_frames=short)
    streamed = torch.cat(list(pieces), dim=1)
    # Small (the outermost window taps are tiny) but far above float64 rounding.
    assert (streamed - whole).abs().max() > 1e-11


@pytest.mark.parametrize(
    ("preset", "count", "reach"), [("base", 13_459_970, 29), ("small", 2_790_658, 23)]
)
def test_presets(preset: str, count: int, reach: int) -> None:
    cfg = VocosConfig.preset(preset)
    assert sum(p.numel() for p in VocosGenerator(cfg).parameters()) == count
    assert receptive_field_frames(cfg) == reach  # 3 (input conv) + 3 per block + 2 (overlap-add)


def test_config_checks() -> None:
    with pytest.raises(ConfigError, match="cannot be inverted"):
        VocosConfig(n_fft=512, hop_length=256, win_length=256)
    with pytest.raises(ConfigError, match="odd"):
        VocosConfig(kernel_size=4)
    with pytest.raises(ConfigError, match="Unknown Vocos preset"):
        VocosConfig.preset("huge")
    with pytest.raises(ConfigError, match=r"vocoder\.vocos is required"):
        VocoderConfig(kind="vocos", source="voice")
    assert VocosConfig.small(AUDIOS[1]).n_fft == 512
