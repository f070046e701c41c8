"""load_vocoder: one entry point from a voice's VocoderConfig to a ready Vocoder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from glowtts_cli.config import AudioConfig, HiFiGANConfig, VocoderConfig
from glowtts_cli.errors import CheckpointError, ConfigError
from glowtts_cli.vocoder import Vocoder, load_vocoder
from glowtts_cli.vocoder.griffin_lim import GriffinLim
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator


def _check_vocodes(vocoder: Vocoder, audio: AudioConfig) -> None:
    wav = vocoder.vocode(torch.randn(1, audio.n_mels, 3) - 4)
    assert wav.shape == (1, 3 * audio.hop_length)


def test_griffin_lim() -> None:
    audio = AudioConfig()
    vocoder = load_vocoder(VocoderConfig(kind="griffin-lim", griffin_lim_iters=3), audio)
    assert isinstance(vocoder, GriffinLim) and vocoder.n_iter == 3
    _check_vocodes(vocoder, audio)


def test_bundled_default_is_universal_v1(tiny_vocoder_dir: Path) -> None:
    vocoder = load_vocoder(VocoderConfig(), AudioConfig())
    assert isinstance(vocoder, HiFiGANGenerator)
    assert vocoder.cfg == HiFiGANConfig.v1()
    assert not vocoder.training
    # A voice folder passed along does not override a bundled source.
    again = load_vocoder(VocoderConfig(source="universal"), AudioConfig(), tiny_vocoder_dir)
    assert isinstance(again, HiFiGANGenerator) and again.cfg == HiFiGANConfig.v1()


def test_voice_weights_default_to_v1_hyperparameters(
    tmp_path: Path, tiny_vocoder_dir: Path
) -> None:
    shutil.copy(tiny_vocoder_dir / "state_dict.safetensors", tmp_path / "vocoder.safetensors")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_vocoder(VocoderConfig(source="voice"), AudioConfig(), tmp_path)


def test_voice_folder_weights(
    tmp_path: Path, tiny_vocoder_dir: Path, tiny_vocoder_config, tiny_vocoder_tensors
) -> None:
    shutil.copy(
        tiny_vocoder_dir / "state_dict_folded.safetensors", tmp_path / "vocoder.safetensors"
    )
    cfg = VocoderConfig(source="voice", hifigan=tiny_vocoder_config)
    vocoder = load_vocoder(cfg, AudioConfig(), tmp_path)
    wav = vocoder.vocode(tiny_vocoder_tensors["mel"])
    torch.testing.assert_close(wav, tiny_vocoder_tensors["audio"].squeeze(1), rtol=1e-5, atol=1e-6)
    with pytest.raises(CheckpointError, match=r"has no vocoder\.safetensors"):
        load_vocoder(cfg, AudioConfig(), tiny_vocoder_dir)
    with pytest.raises(ConfigError, match="no voice folder"):
        load_vocoder(cfg, AudioConfig())


def test_local_path_source(tmp_path: Path, tiny_vocoder_dir: Path, tiny_vocoder_config) -> None:
    vocoder = load_vocoder(
        VocoderConfig(source=str(tiny_vocoder_dir / "state_dict.safetensors")), AudioConfig()
    )
    assert isinstance(vocoder, HiFiGANGenerator) and vocoder.cfg == tiny_vocoder_config
    resolved = load_vocoder(
        VocoderConfig(source="org/repo"),
        AudioConfig(),
        path=tiny_vocoder_dir / "state_dict.safetensors",
    )
    assert isinstance(resolved, HiFiGANGenerator)


def test_unknown_source_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="neither bundled nor a local path") as err:
        load_vocoder(VocoderConfig(source="someone/vocoder"), AudioConfig())
    assert "universal" in (err.value.hint or "")


def test_vocoder_must_fit_the_audio_settings(tiny_vocoder_dir: Path, tiny_vocoder_config) -> None:
    hop = tiny_vocoder_config.hop_length
    with pytest.raises(ConfigError, match=f"hop {hop}"):
        load_vocoder(
            VocoderConfig(source=str(tiny_vocoder_dir / "state_dict.safetensors")),
            AudioConfig(hop_length=hop // 2, win_length=hop * 2, n_fft=hop * 2),
        )
