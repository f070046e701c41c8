"""Publishing never uploads a local path: a voice whose config or card names one is refused
before anything leaves the machine, and folders are recorded by their name alone."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from glowtts_cli.config import TrainingInfo
from glowtts_cli.errors import GlowTTSError
from glowtts_cli.hub_publish import push_voice
from glowtts_cli.voice_folder import (
    CARD_FILE,
    CONFIG_FILE,
    load_model_state,
    local_path_leaks,
    model_card,
    public_name,
    read_voice_config,
    save_voice,
)
from tests.hubserver import HubServer

pytestmark = pytest.mark.network


def _with_training(folder: Path, tmp_path: Path, **fields: str) -> Path:
    """A copy of ``folder`` whose config (and generated card) record ``fields``."""
    out = tmp_path / "voice"
    cfg = read_voice_config(folder)
    cfg = dataclasses.replace(cfg, training=TrainingInfo(**fields))  # type: ignore[arg-type]
    return save_voice(out, cfg, load_model_state(folder))


def test_a_card_with_the_dataset_path_is_not_pushed(
    hub_server: HubServer, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    dataset = tmp_path / "datasets" / "my-recordings"
    dataset.mkdir(parents=True)
    folder = _with_training(tiny_voice_dir, tmp_path, dataset=str(dataset))
    leaks = local_path_leaks(folder)
    assert leaks == [f"{CONFIG_FILE}: {dataset}", f"{CARD_FILE}: {dataset}"]
    with pytest.raises(GlowTTSError, match="would publish local paths") as info:
        push_voice(folder, "leaky")
    assert str(dataset) in info.value.message and "folder name" in (info.value.hint or "")
    assert hub_server.request_count == 0  # nothing left the machine

    # The card alone (config fixed by hand) is still caught; a bare name passes.
    config = json.loads((folder / CONFIG_FILE).read_text())
    config["training"]["dataset"] = "my-recordings"
    (folder / CONFIG_FILE).write_text(json.dumps(config))
    assert local_path_leaks(folder) == [f"{CARD_FILE}: {dataset}"]
    (folder / CARD_FILE).write_text(model_card(read_voice_config(folder)))
    assert local_path_leaks(folder) == []
    pushed = push_voice(folder, "clean")
    stored = hub_server.files(pushed.repo_id, pushed.commit)
    for name in (CONFIG_FILE, CARD_FILE):
        assert str(tmp_path) not in stored[name].decode(), name


@pytest.mark.parametrize(
    "text",
    ["~/voices/base", "C:\\Users\\someone\\data", "{home}/data/set", "{tmp}/x/y"],
    ids=["tilde", "windows", "home", "existing-folder"],
)
def test_local_paths_are_found(tiny_voice_dir: Path, tmp_path: Path, text: str) -> None:
    text = text.format(home=Path.home(), tmp=tmp_path)
    folder = _with_training(tiny_voice_dir, tmp_path, notes=f"Made from {text}.")
    assert local_path_leaks(folder) == [f"{CONFIG_FILE}: {text}", f"{CARD_FILE}: {text}"]


def test_urls_repos_and_names_are_not_paths(tiny_voice_dir: Path, tmp_path: Path) -> None:
    notes = (
        "Data from https://huggingface.co/datasets/org/set (org/set@main), 1/2 of it; "
        "endpoint /v1/audio/speech."
    )
    folder = _with_training(tiny_voice_dir, tmp_path, dataset="my-recordings", notes=notes)
    assert local_path_leaks(folder) == []


def test_public_name(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    assert public_name(str(tmp_path / "ds")) == "ds"
    assert public_name(str(tmp_path / "gone")) == "gone"  # absolute even if it no longer exists
    assert public_name("en-us-slt") == "en-us-slt"
    assert public_name("org/voice@0123abc") == "org/voice@0123abc"
    assert public_name("") == ""


def test_the_test_voice_itself_is_clean(tiny_voice_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_voice_dir, copy)
    assert local_path_leaks(copy) == []
