"""run.json is read with clear errors: a damaged file names itself instead of a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glowtts_cli.config import ModelConfig, TextConfig, TrainConfig, VoiceConfig, to_dict
from glowtts_cli.errors import ConfigError
from glowtts_cli.text.symbols import default_symbols
from glowtts_cli.train.runs import RUN_FILE, RunSpec


def test_a_missing_run_json_means_a_new_run(tmp_path: Path) -> None:
    assert RunSpec.read(tmp_path) is None


def test_run_json_round_trips(tmp_path: Path) -> None:
    text = TextConfig(phonemizer="espeak", language="en-us", symbols=default_symbols("espeak"))
    model = ModelConfig.tiny(n_vocab=text.n_vocab, n_mels=80)
    voice = VoiceConfig(name="v", text=text, model=model)
    spec = RunSpec(kind="train", data_dir="data", voice=voice, train=TrainConfig())
    (tmp_path / RUN_FILE).write_text(spec.to_json())
    assert RunSpec.read(tmp_path) == spec


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"kind": "train", "data_dir": ', "Cannot read"),
        ("[]", "does not hold a JSON object"),
        (json.dumps({"kind": "train", "data_dir": "d", "train": to_dict(TrainConfig())}),
         "lacks voice"),
    ],
    ids=["truncated", "not-an-object", "no-voice"],
)  # fmt: skip
def test_a_damaged_run_json_is_a_config_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / RUN_FILE).write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        RunSpec.read(tmp_path)
    assert RUN_FILE in info.value.message and info.value.hint
