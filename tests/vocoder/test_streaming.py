"""Chunked vocoding equals one-shot vocoding once the context covers the receptive field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from glowtts_cli.config import AudioConfig, HiFiGANConfig
from glowtts_cli.vocoder import stream_vocode
from glowtts_cli.vocoder.griffin_lim import GriffinLim
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.weights import load_safetensors_generator


def _small_v1() -> HiFiGANGenerator:
    """V1 geometry (resblock 1, receptive field 13 frames) with few channels."""
    return HiFiGANGenerator(dataclasses.replace(HiFiGANConfig.v1(), upsample_initial_channel=16))


@pytest.mark.parametrize(("chunk", "first"), [(3, None), (7, 2), (100, 5)])
def test_tiny_generator_chunks_equal_one_shot(
    tiny_vocoder_dir: Path, tiny_vocoder_config, tiny_vocoder_tensors, chunk, first
):
    generator = load_safetensors_generator(
        tiny_vocoder_dir / "state_dict.safetensors", tiny_vocoder_config
    )
    mel = tiny_vocoder_tensors["mel"]  # [2, 80, 40] in the default set
    whole = generator.vocode(mel)
    pieces = list(stream_vocode(generator, mel, chunk_frames=chunk, first_chunk_frames=first))
    streamed = torch.cat(pieces, dim=1)
    assert streamed.shape == whole.shape
    assert (streamed - whole).abs().max() < 1e-6  # measured: below 1e-7


def test_piece_sizes() -> None:
    generator = _small_v1()
    pieces = list(
        stream_vocode(generator, torch.randn(1, 80, 50), chunk_frames=16, first_chunk_frames=4)
    )
    assert [p.shape[1] // 256 for p in pieces] == [4, 16, 16, 14]


def test_context_below_the_receptive_field_is_not_exact() -> None:
    generator = _small_v1()
    mel = torch.randn(1, 80, 60)
    whole = generator.vocode(mel)
    exact = torch.cat(list(stream_vocode(generator, mel, chunk_frames=10)), dim=1)
    short = torch.cat(list(stream_vocode(generator, mel, chunk_frames=10, context_frames=6)), dim=1)
    assert generator.context_frames == 13
    assert (exact - whole).abs().max() < 1e-6
    assert (short - whole).abs().max() > 1e-5


def test_real_v1_streaming_matches_one_shot(real_golden, universal_v1) -> None:
    mel = real_golden["mel"]
    whole = universal_v1.vocode(mel)
    streamed = torch.cat(list(stream_vocode(universal_v1, mel, chunk_frames=43)), dim=1)
    assert streamed.shape == whole.shape
    # Measured: max abs diff 3.7e-7 to 5.2e-7 (context 13 frames); with 12 frames it is 3.9e-5.
    assert (streamed - whole).abs().max() < 2e-6


def test_griffin_lim_is_one_piece() -> None:
    vocoder = GriffinLim(AudioConfig(), n_iter=2)
    mel = torch.randn(1, 80, 20) - 5
    pieces = list(stream_vocode(vocoder, mel, chunk_frames=4))
    assert len(pieces) == 1
    assert torch.equal(pieces[0], vocoder.vocode(mel))


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk"):
        list(stream_vocode(_small_v1(), torch.randn(1, 80, 5), chunk_frames=0))
