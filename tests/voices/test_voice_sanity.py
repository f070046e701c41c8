"""Issue 18 item 8: a voice whose settings or weights are not finite, or whose weights are not
floating point, is refused at load with the file and the key named (it used to speak noise)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from glowtts_cli.api import Voice
from glowtts_cli.errors import CheckpointError, ConfigError


@pytest.fixture
def copy(tiny_voice_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "voice"
    shutil.copytree(tiny_voice_dir, folder)
    return folder


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_issue_18_non_finite_setting(copy: Path, value: float) -> None:
    cfg = json.loads((copy / "config.json").read_text())
    cfg["inference"]["noise_scale"] = value
    (copy / "config.json").write_text(json.dumps(cfg))  # json writes NaN / Infinity
    with pytest.raises(ConfigError, match=r"inference\.noise_scale must be a finite number"):
        Voice.load(copy, device="cpu")


@pytest.mark.parametrize("bad", ["nan", "inf", "int8"])
def test_issue_18_bad_weights(copy: Path, bad: str) -> None:
    state = load_file(str(copy / "model.safetensors"))
    key = sorted(state)[3]
    if bad == "int8":
        state[key] = state[key].to(torch.int8)
    else:
        state[key] = state[key].clone()
        state[key].view(-1)[0] = float(bad)
    save_file(state, str(copy / "model.safetensors"))
    message = "not floating point" if bad == "int8" else "NaN or infinite"
    with pytest.raises(CheckpointError, match=message) as caught:
        Voice.load(copy, device="cpu")
    assert key in caught.value.message and "model.safetensors" in caught.value.message


@pytest.mark.parametrize("command", ["info", "download"])
def test_issue_18_info_and_download_check_the_weights(
    command: str, copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from glowtts_cli.cli import main

    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated
    monkeypatch.setattr(sys, "argv", ["glowtts", "voices", command, str(copy)])
    with pytest.raises(SystemExit) as caught:
        main()
    captured = capsys.readouterr()
    assert caught.value.code == 1 and "ready" not in captured.err and not captured.out
    assert captured.err.startswith(f"error: {weights} is not a readable safetensors file")
