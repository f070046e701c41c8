"""Issue 18 item 11: a voice config that does not validate names its file and says what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glowtts_cli.config import ModelConfig, load_json
from glowtts_cli.errors import ConfigError
from glowtts_cli.voice_folder import read_voice_config

FIX = "Fix config.json, or download or export the voice again."


def _voice_with(tmp_path: Path, tiny_voice_dir: Path, edit: str) -> Path:
    folder = tmp_path / "voice"
    shutil.copytree(tiny_voice_dir, folder)
    path = folder / "config.json"
    data = json.loads(path.read_text())
    if edit == "no model":
        del data["model"]
    elif edit == "n_vocab":
        data["model"]["n_vocab"] = 5
    elif edit == "heads":
        data["model"]["encoder"]["n_heads"] = 3
    path.write_text("{" if edit == "not json" else json.dumps(data))
    return folder


@pytest.mark.parametrize(
    ("edit", "message"),
    [("no model", "{path} has no 'model' section: it does not describe a model."),
     ("n_vocab", "{path}: model.n_vocab (5) must equal the symbol count"),
     ("heads", "{path}.model.encoder: "),
     ("not json", "Cannot read {path}: ")],
)  # fmt: skip
def test_issue_18_voice_config_errors_name_the_file(
    edit: str, message: str, tmp_path: Path, tiny_voice_dir: Path
) -> None:
    folder = _voice_with(tmp_path, tiny_voice_dir, edit)
    with pytest.raises(ConfigError) as caught:
        read_voice_config(folder)
    assert caught.value.message.startswith(message.format(path=folder / "config.json"))
    assert caught.value.hint == FIX


def test_issue_18_a_config_file_check_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"encoder": {"hidden_channels": 190, "n_heads": 3}}))
    with pytest.raises(ConfigError) as caught:
        load_json(ModelConfig, path)
    assert caught.value.message.startswith(f"{path}.encoder: ")
    assert caught.value.hint == f"Correct {path} and run the command again."
