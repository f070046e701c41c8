"""Small random-weight voices with a HiFi-GAN vocoder, exported once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


def write_hifigan_voice(
    folder: Path, *, n_speakers: int = 0, seed: int = 0, vocos: bool = False
) -> Path:
    """A tiny random voice whose folder carries a tiny HiFi-GAN (``vocoder.source = "voice"``).

    The flows' output layers start at zero (identity couplings); they are perturbed here so the
    decoder really transforms the latents, and the vocoder's last layer is scaled up so the
    waveform varies as much as speech does.
    """
    import torch

    from glowtts_cli.config import (
        AudioConfig,
        HiFiGANConfig,
        ModelConfig,
        TextConfig,
        VocoderConfig,
        VocosConfig,
        VoiceConfig,
    )
    from glowtts_cli.model.glow_tts import GlowTTS
    from glowtts_cli.text.symbols import default_symbols
    from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
    from glowtts_cli.vocoder.vocos import VocosGenerator
    from glowtts_cli.voice_folder import export_model_state, save_voice

    torch.manual_seed(seed)
    text = TextConfig(
        phonemizer="espeak", language="en-us", symbols=default_symbols("espeak"), add_blank=True
    )
    model_cfg = ModelConfig.tiny(n_vocab=text.n_vocab, n_mels=80)
    speakers: tuple[str, ...] = ()
    if n_speakers > 1:
        from dataclasses import replace

        model_cfg = replace(model_cfg, n_speakers=n_speakers, gin_channels=8)
        speakers = tuple(f"spk{i}" for i in range(n_speakers))
    hifigan = HiFiGANConfig(
        upsample_initial_channel=16, resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1, 3),)
    )
    vocos_cfg = VocosConfig.for_audio(AudioConfig(), dim=32, intermediate_dim=64, n_layers=2)
    vocoder_cfg = (
        VocoderConfig(kind="vocos", source="voice", vocos=vocos_cfg)
        if vocos
        else VocoderConfig(kind="hifigan", source="voice", hifigan=hifigan)
    )
    cfg = VoiceConfig(
        name="tiny-onnx",
        description="Random weights for tests; it cannot speak.",
        license="MIT",
        text=text,
        model=model_cfg,
        vocoder=vocoder_cfg,
        speakers=speakers,
    )
    model = GlowTTS(model_cfg)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if ".end." in name:
                param.normal_(0.0, 0.05)
    vocoder: torch.nn.Module
    if vocos:
        vocoder = VocosGenerator(vocos_cfg)
    else:
        vocoder = HiFiGANGenerator(hifigan)
        with torch.no_grad():  # a fresh generator's output barely moves; make it audible
            vocoder.conv_post.weight.mul_(30.0)
    return save_voice(folder, cfg, export_model_state(model), vocoder_state=vocoder.state_dict())


@pytest.fixture(scope="session")
def hifigan_voice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny single-speaker voice with its own tiny HiFi-GAN."""
    return write_hifigan_voice(tmp_path_factory.mktemp("onnx") / "tiny")


@pytest.fixture(scope="session")
def hifigan_multispeaker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with three speakers."""
    return write_hifigan_voice(tmp_path_factory.mktemp("onnx") / "tiny3", n_speakers=3, seed=1)


@pytest.fixture(scope="session")
def vocos_voice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny single-speaker voice with its own tiny Vocos."""
    return write_hifigan_voice(tmp_path_factory.mktemp("onnx") / "tiny-vocos", vocos=True)


@pytest.fixture(scope="session")
def exported_dir(hifigan_voice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``hifigan_voice_dir`` exported to ONNX into a folder of its own."""
    from glowtts_cli.onnx.export import export_onnx

    out = tmp_path_factory.mktemp("onnx") / "exported"
    export_onnx(hifigan_voice_dir, out)
    return out


@pytest.fixture(scope="session")
def exported_multispeaker_dir(
    hifigan_multispeaker_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``hifigan_multispeaker_dir`` exported to ONNX."""
    from glowtts_cli.onnx.export import export_onnx

    out = tmp_path_factory.mktemp("onnx") / "exported3"
    export_onnx(hifigan_multispeaker_dir, out)
    return out
