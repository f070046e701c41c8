"""HiFi-GAN generator: conformance with the official generator, presets, receptive field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.config import HiFiGANConfig
from glowtts_cli.errors import CheckpointError
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator, parameter_count, receptive_field_frames
from glowtts_cli.vocoder.weights import load_generator_state, load_safetensors_generator
from glowtts_cli.weight_norm import fold_weight_norm_state


@pytest.mark.parametrize(
    ("preset", "official_count"),
    [("v1", 13_936_130), ("v2", 928_514), ("v3", 1_464_322)],
)
def test_presets_match_official_parameter_counts(preset: str, official_count: int) -> None:
    generator = HiFiGANGenerator(getattr(HiFiGANConfig, preset)())
    # The official count includes one weight_g per output slice (dim 0) of every weight-normed
    # layer, i.e. of every conv: folding removes exactly those.
    weight_g = sum(m.weight.shape[0] for m in generator.modules() if hasattr(m, "padding"))
    assert parameter_count(generator) + weight_g == official_count


@pytest.mark.parametrize("resblock", ["1", "2"])
def test_output_length_is_frames_times_hop(resblock: str) -> None:
    cfg = dataclasses.replace(
        HiFiGANConfig.v3() if resblock == "2" else HiFiGANConfig.v1(),
        upsample_initial_channel=16,
        n_mels=12,
    )
    wav = HiFiGANGenerator(cfg).vocode(torch.randn(2, 12, 7))
    assert wav.shape == (2, 7 * cfg.hop_length)
    assert torch.all(wav.abs() < 1)


@pytest.mark.parametrize("weights", ["state_dict.safetensors", "state_dict_folded.safetensors"])
def test_tiny_generators_equal_official(
    tiny_vocoder_dir: Path, tiny_vocoder_config, tiny_vocoder_tensors, weights
) -> None:
    generator = load_safetensors_generator(tiny_vocoder_dir / weights, tiny_vocoder_config)
    wav = generator.vocode(tiny_vocoder_tensors["mel"])
    assert wav.shape == tiny_vocoder_tensors["audio"].squeeze(1).shape
    # Measured: max abs diff 4.5e-8 (weight norm) and 1.5e-8 (folded); max |audio| 0.18.
    torch.testing.assert_close(wav, tiny_vocoder_tensors["audio"].squeeze(1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        wav, tiny_vocoder_tensors["audio_with_weight_norm"].squeeze(1), rtol=1e-5, atol=1e-6
    )


def test_folding_equals_official_remove_weight_norm(tiny_vocoder_dir: Path) -> None:
    folded = fold_weight_norm_state(load_file(tiny_vocoder_dir / "state_dict.safetensors"))
    official = load_file(tiny_vocoder_dir / "state_dict_folded.safetensors")
    assert set(folded) == set(official)
    for key, value in official.items():
        torch.testing.assert_close(folded[key], value, rtol=1e-6, atol=1e-7)  # measured 3e-8


def test_parametrization_names_are_normalised(
    tiny_vocoder_dir: Path, tiny_vocoder_config, tiny_vocoder_tensors
) -> None:
    legacy = load_file(tiny_vocoder_dir / "state_dict.safetensors")
    renamed = {
        k.replace(".weight_g", ".parametrizations.weight.original0").replace(
            ".weight_v", ".parametrizations.weight.original1"
        ): v
        for k, v in legacy.items()
    }
    assert any("parametrizations" in k for k in renamed)
    generator = HiFiGANGenerator(tiny_vocoder_config).eval()
    load_generator_state(generator, renamed)
    torch.testing.assert_close(
        generator.vocode(tiny_vocoder_tensors["mel"]),
        tiny_vocoder_tensors["audio"].squeeze(1),
        atol=1e-6,
        rtol=1e-5,
    )


def test_real_v1_weights_equal_official(real_golden, bundled_v1) -> None:
    """The golden comes from one of the official V1 checkpoints we bundle (UNIVERSAL in the
    default set): exactly one of them reproduces it."""
    outputs = {name: generator.vocode(real_golden["mel"]) for name, generator in bundled_v1.items()}
    errors = {
        n: float((w - real_golden["audio"].squeeze(1)).abs().max()) for n, w in outputs.items()
    }
    matching = [n for n, e in errors.items() if e < 1e-3]
    assert len(matching) == 1, f"max abs error per bundled V1 generator: {errors}"
    wav = outputs[matching[0]]
    # README tolerance for audio: atol 1e-5 (float64 vs float32 of the official code: 1.7e-6).
    # Measured here: max abs diff 3.3e-6 on a max |audio| of 0.48.
    torch.testing.assert_close(wav, real_golden["audio"].squeeze(1), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(
        wav, real_golden["audio_with_weight_norm"].squeeze(1), rtol=1e-5, atol=1e-5
    )
    as_int16 = (wav.squeeze(0) * 32768.0).to(torch.int16)  # what inference_e2e.py writes
    assert (as_int16.int() - real_golden["audio_int16"].int()).abs().max() <= 1


def test_strict_loading_lists_the_offending_keys(
    tiny_vocoder_dir: Path, tiny_vocoder_config
) -> None:
    state = load_file(tiny_vocoder_dir / "state_dict_folded.safetensors")
    state.pop("conv_post.weight")
    state["extra.layer.weight"] = torch.zeros(1)
    state["conv_pre.bias"] = torch.zeros(3)
    with pytest.raises(CheckpointError) as err:
        load_generator_state(HiFiGANGenerator(tiny_vocoder_config), state)
    message = str(err.value)
    assert "missing 1 key(s): conv_post.weight" in message
    assert "unexpected 1 key(s): extra.layer.weight" in message
    assert "conv_pre.bias [3] (expected [" in message


def test_wrong_config_for_weights_is_a_checkpoint_error(tiny_vocoder_dir: Path) -> None:
    with pytest.raises(CheckpointError, match="do not fit"):
        load_safetensors_generator(tiny_vocoder_dir / "state_dict.safetensors", HiFiGANConfig.v3())


@pytest.mark.parametrize("preset", ["v1", "v2", "v3"])
def test_receptive_field_is_exact(preset: str) -> None:
    """Frames with a non-zero gradient for one frame's samples span exactly +-R frames."""
    cfg = dataclasses.replace(getattr(HiFiGANConfig, preset)(), upsample_initial_channel=16)
    radius = receptive_field_frames(cfg)
    generator = HiFiGANGenerator(cfg).double()
    n_frames, t0, hop = 2 * radius + 3, radius + 1, cfg.hop_length
    mel = torch.randn(1, cfg.n_mels, n_frames, dtype=torch.float64, requires_grad=True)
    generator(mel)[0, t0 * hop : (t0 + 1) * hop].sum().backward()
    assert mel.grad is not None
    used = torch.nonzero(mel.grad[0].abs().sum(0) > 0).flatten()
    assert (t0 - int(used.min()), int(used.max()) - t0) == (radius, radius)
