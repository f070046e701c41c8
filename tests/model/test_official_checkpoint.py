"""Official glow-tts checkpoints: key mapping, weight-norm names, strict errors, .pth reading."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.config import ModelConfig
from glowtts_cli.errors import CheckpointError
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.model.official import (
    from_official_state_dict,
    glowtts_from_official,
    official_model_kwargs,
    read_official_checkpoint,
    to_official_state_dict,
)
from glowtts_cli.state_dict import check_state_dict, load_state_dict_strict
from glowtts_cli.weight_norm import fold_weight_norm, normalize_weight_norm_keys


def _official(reference_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, object]]:
    folder = reference_dir / "glow_tts"
    config = json.loads((folder / "config.json").read_text("utf-8"))
    return load_file(folder / "state_dict.safetensors"), config


def test_key_mapping_round_trips(reference_dir: Path) -> None:
    state_dict, config = _official(reference_dir)
    ours = from_official_state_dict(state_dict)
    last = int(config["n_layers_enc"]) - 1  # type: ignore[call-overload]
    assert "duration.conv_1.weight" in ours
    assert (f"encoder.layers.{last}.attn.emb_rel_k" in ours) == bool(config["window_size"])
    assert "decoder.flows.2.start.parametrizations.weight.original0" in ours
    assert ("emb_g.weight" in ours) == (int(config["n_speakers"]) > 1)  # type: ignore[call-overload]
    assert ("encoder.proj_s.weight" in state_dict) == (not config["mean_only"])
    assert to_official_state_dict(ours).keys() == state_dict.keys()


def test_weight_norm_key_names_are_normalised_both_ways() -> None:
    legacy = {"a.weight_g": 1, "a.weight_v": 2, "a.bias": 3, "b.weight": 4}
    new = normalize_weight_norm_keys(legacy, style="parametrizations")
    assert new == {
        "a.parametrizations.weight.original0": 1,
        "a.parametrizations.weight.original1": 2,
        "a.bias": 3,
        "b.weight": 4,
    }
    assert normalize_weight_norm_keys(new, style="legacy") == legacy
    assert normalize_weight_norm_keys(new, style="parametrizations") == new


def test_module_prefix_from_ddp_is_stripped(reference_dir: Path) -> None:
    state_dict, config = _official(reference_dir)
    wrapped = {"module." + k: v for k, v in state_dict.items()}
    model = glowtts_from_official(wrapped, config)
    assert torch.equal(model.encoder.emb.weight, state_dict["encoder.emb.weight"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda sd: sd.pop("encoder.proj_m.bias"), "missing 1 key"),
        (lambda sd: sd.__setitem__("encoder.extra", torch.zeros(1)), "unexpected 1 key"),
        (lambda sd: sd.__setitem__("decoder.flows.1.weight", torch.eye(3)), "wrong shape"),
    ],
    ids=["missing", "unexpected", "shape"],
)
def test_mismatches_raise_checkpoint_error_naming_keys(
    reference_dir: Path, change: Callable[[dict[str, torch.Tensor]], object], message: str
) -> None:
    state_dict, config = _official(reference_dir)
    state_dict = dict(state_dict)
    change(state_dict)
    with pytest.raises(CheckpointError, match=message) as info:
        glowtts_from_official(state_dict, config)
    named = ("encoder.proj_m.bias", "encoder.extra", "decoder.flows.1.weight [3, 3]")
    assert any(k in str(info.value) for k in named)
    assert info.value.hint


def test_error_lists_at_most_ten_keys() -> None:
    expected = {f"k{i:02d}": (1,) for i in range(25)}
    with pytest.raises(CheckpointError) as info:
        check_state_dict(expected, {}, source="x.pth")
    text = str(info.value)
    assert "missing 25 key(s)" in text and "k09" in text and "k10" not in text
    assert "(and 15 more)" in text and "x.pth" in text


def test_reference_model_converts_with_every_weight(reference_dir: Path) -> None:
    state_dict, config = _official(reference_dir)
    model = glowtts_from_official(state_dict, config)
    back = to_official_state_dict(model.state_dict())
    assert back.keys() == state_dict.keys()
    assert all(torch.equal(back[k], state_dict[k]) for k in state_dict)
    assert not model.training


@pytest.mark.parametrize("speakers", [0, 3])
def test_other_official_configs_convert(speakers: int) -> None:
    """mean_only=False, no prenet, no window, speakers: official names in, same model out."""
    kwargs = {
        "n_vocab": 12, "hidden_channels": 16, "filter_channels": 24, "filter_channels_dp": 8,
        "out_channels": 6, "n_heads": 2, "n_layers_enc": 1, "n_blocks_dec": 1,
        "n_block_layers": 2, "n_sqz": 2, "n_split": 4, "mean_only": False, "prenet": False,
        "window_size": None, "n_speakers": speakers, "gin_channels": 5 if speakers else 0,
        "dilation_rate": 2, "sigmoid_scale": True,
    }  # fmt: skip
    source = GlowTTS(ModelConfig.from_official(kwargs))
    official = to_official_state_dict(source.state_dict())
    assert "encoder.proj_s.weight" in official and "encoder.pre.proj.weight" not in official
    assert ("emb_g.weight" in official) == bool(speakers)
    assert ("decoder.flows.2.wn.cond_layer.weight_g" in official) == bool(speakers)
    assert official["encoder.proj_w.conv_1.weight"].shape[1] == 16 + kwargs["gin_channels"]
    model = glowtts_from_official(official, kwargs)
    x, x_lengths = torch.tensor([[1, 2, 3]]), torch.tensor([3])
    g = model.speaker_embedding(torch.tensor([1])) if speakers else None
    a = model.infer(x, x_lengths, g=g, noise_scale=0.0).y
    b = source.eval().infer(x, x_lengths, g=g, noise_scale=0.0).y
    assert torch.equal(a, b)


def test_strict_loader_accepts_either_weight_norm_style_and_folded_models() -> None:
    cfg = ModelConfig.tiny()
    source = GlowTTS(cfg)
    target = GlowTTS(cfg)
    load_state_dict_strict(target, normalize_weight_norm_keys(source.state_dict(), style="legacy"))
    assert all(
        torch.equal(a, b)
        for a, b in zip(source.state_dict().values(), target.state_dict().values(), strict=True)
    )
    folded = fold_weight_norm(GlowTTS(cfg))
    load_state_dict_strict(folded, fold_weight_norm(source).state_dict())
    with pytest.raises(CheckpointError, match="missing"):
        load_state_dict_strict(GlowTTS(cfg), source.state_dict())  # folded into unfolded


def test_read_official_checkpoint_formats(reference_dir: Path, tmp_path: Path) -> None:
    state_dict, _ = _official(reference_dir)
    full = tmp_path / "G_10.pth"
    torch.save(
        {"model": state_dict, "iteration": 10, "optimizer": {"state": {}, "param_groups": []},
         "learning_rate": 1.0},
        full,
    )  # fmt: skip
    bare = tmp_path / "bare.pth"
    torch.save(state_dict, bare)
    for path in (full, bare):
        loaded = read_official_checkpoint(path)
        assert loaded.keys() == state_dict.keys()
        assert all(torch.equal(loaded[k], state_dict[k]) for k in state_dict)


@dataclasses.dataclass
class _Opaque:
    value: int


@pytest.mark.parametrize(
    "content",
    [[1, 2, 3], {"model": [1]}, {"generator": {"w": torch.zeros(1)}}, {}, "code", _Opaque(1)],
    ids=["list", "model-not-dict", "other-dict", "empty", "string", "pickled-object"],
)
def test_read_official_checkpoint_refuses_other_content(content: object, tmp_path: Path) -> None:
    path = tmp_path / "x.pth"
    torch.save(content, path)
    with pytest.raises(CheckpointError):
        read_official_checkpoint(path)


def test_read_official_checkpoint_refuses_unreadable_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="Cannot read"):
        read_official_checkpoint(garbage)
    with pytest.raises(CheckpointError, match="Cannot read"):
        read_official_checkpoint(tmp_path / "missing.pth")


def test_official_model_kwargs_from_a_training_config(reference_dir: Path) -> None:
    state_dict, config = _official(reference_dir)
    model_section = {k: v for k, v in config.items() if k not in ("n_vocab", "out_channels")}
    data = {"n_mel_channels": config["out_channels"]}
    training_config = {"train": {}, "data": data, "model": model_section}
    kwargs = official_model_kwargs(training_config, state_dict)
    assert kwargs == config
    with pytest.raises(CheckpointError):
        official_model_kwargs({"data": {}}, state_dict)
