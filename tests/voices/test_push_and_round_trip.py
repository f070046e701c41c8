"""Publishing a voice and getting it back: files, model card, and bit-identical synthesis."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from glowtts_cli.api import SynthesisOptions, Voice
from glowtts_cli.errors import CheckpointError, GlowTTSError, VoiceNotFoundError
from glowtts_cli.hub import resolve
from glowtts_cli.hub_cache import list_cached_voices, remove_cached
from glowtts_cli.hub_publish import push_voice
from glowtts_cli.voice_folder import (
    CARD_FILE,
    export_model_state,
    load_model_state,
    model_card,
    read_voice_config,
    save_voice,
)
from tests.hubserver import HubServer, set_offline

pytestmark = pytest.mark.network

IDS = [[3, 17, 5, 40, 22, 9, 31], [12, 4, 8]]
"""Token ids (no G2P needed): a batch of two unequal lengths."""


def synthesize(voice: Voice) -> list[torch.Tensor]:
    """Mels with noise 0, and sampled with a seeded generator."""
    flat = voice.mels(IDS, SynthesisOptions(noise_scale=0.0))
    seeded = voice.mels(IDS, SynthesisOptions(noise_scale=0.667), torch.Generator().manual_seed(7))
    return flat + seeded


def test_push_creates_the_repo_with_a_card_and_the_voice_comes_back(
    hub_server: HubServer, tiny_voice_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "voice"
    shutil.copytree(tiny_voice_dir, folder)
    (folder / CARD_FILE).unlink()  # a card is generated when the folder has none

    pushed = push_voice(folder, "my-voice")

    assert pushed.repo_id == f"{hub_server.user}/my-voice" and len(pushed.commit) == 40
    stored = hub_server.files(pushed.repo_id, pushed.commit)
    assert sorted(stored) == [".gitattributes", "README.md", "config.json", "model.safetensors"]
    card = stored["README.md"].decode()
    assert card.startswith("---\nlicense: mit\n") and "library_name: glowtts-cli" in card
    assert f"--voice {pushed.repo_id}" in card

    back = resolve(f"{pushed.repo_id}@{pushed.commit}").path
    assert read_voice_config(back) == read_voice_config(tiny_voice_dir)
    assert (back / "config.json").read_bytes() == (tiny_voice_dir / "config.json").read_bytes()
    assert (back / CARD_FILE).read_text() == card

    (folder / CARD_FILE).write_text("# my own card\n")  # an existing card is kept as it is
    second = push_voice(folder, pushed.repo_id)
    assert second.commit != pushed.commit
    assert hub_server.files(pushed.repo_id)["README.md"] == b"# my own card\n"


def test_push_refuses_broken_voices_and_reports_hub_refusals(
    hub_server: HubServer, tiny_voice_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(VoiceNotFoundError, match=r"has no config\.json"):
        push_voice(tmp_path, "voice")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_voice_dir, broken)
    state = load_model_state(broken)
    state.pop(next(iter(state)))
    save_voice(broken, read_voice_config(broken), state)
    with pytest.raises(CheckpointError, match="missing"):
        push_voice(broken, "voice")
    assert hub_server.request_count == 0  # nothing left the machine

    with pytest.raises(GlowTTSError) as caught:
        push_voice(tiny_voice_dir, "someone-else/voice")
    assert "Publishing to someone-else/voice failed" in caught.value.message
    assert "\n" not in caught.value.message and "HF_TOKEN" in (caught.value.hint or "")
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(GlowTTSError, match="Publishing to voice failed") as caught:
        push_voice(tiny_voice_dir, "voice")
    assert "hf auth login" in (caught.value.hint or "")


def test_saved_and_hub_round_tripped_voices_synthesize_identical_mels(
    hub_server: HubServer, tiny_voice_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Voice.load(tiny_voice_dir, device="cpu")
    expected = synthesize(original)
    assert not torch.equal(expected[0], expected[2])  # the seeded run really sampled noise

    saved = save_voice(tmp_path / "saved", original.cfg, export_model_state(original.model))
    pushed = push_voice(saved, "round-trip")
    hub_spec = f"{pushed.repo_id}@{pushed.commit}"

    for spec in (tiny_voice_dir, saved, hub_spec, "offline"):
        if spec == "offline":  # the Hub copy again, from the cache alone
            set_offline(monkeypatch)
            hub_server.reset_log()
            spec = hub_spec
        again = synthesize(Voice.load(spec, device="cpu"))
        assert all(torch.equal(a, b) for a, b in zip(again, expected, strict=True)), spec
    assert hub_server.request_count == 0


def test_cached_voices_are_listed_and_removed(
    hub_server: HubServer, voice_files: dict[str, bytes]
) -> None:
    assert list_cached_voices() == []
    old = hub_server.add_repo("org/a", voice_files)
    new = hub_server.add_repo("org/a", {**voice_files, "README.md": b"# v2"})
    hub_server.add_repo("org/not-a-voice", {"README.md": b"# card"})
    paths = [resolve(f"org/a@{old}").path, resolve("org/a").path]
    with pytest.raises(VoiceNotFoundError):
        resolve("org/not-a-voice")  # leaves refs and a "no config.json" marker, no snapshot

    cached = list_cached_voices()

    assert [(v.repo_id, v.revision, v.path) for v in cached] == sorted(
        [("org/a", old, paths[0]), ("org/a", new, paths[1])], key=lambda t: t[1]
    )
    assert all(v.bytes >= len(voice_files["model.safetensors"]) for v in cached)
    # Revisions share blobs: removing the old one frees only its own README.md.
    assert remove_cached("org/a", old[:8]) == (1, len(voice_files["README.md"]))
    assert [v.revision for v in list_cached_voices()] == [new]
    weights = len(voice_files["config.json"]) + len(voice_files["model.safetensors"])
    assert remove_cached("org/a", "main") == (1, weights + len(b"# v2"))
    assert remove_cached("org/a") == (0, 0)
    assert list_cached_voices() == []


def test_model_card_license_metadata(tiny_voice_dir: Path) -> None:
    from dataclasses import replace

    cfg = read_voice_config(tiny_voice_dir)
    assert "license: cc-by-4.0\n" in model_card(replace(cfg, license="CC-BY-4.0"))
    card = model_card(replace(cfg, license="Public Domain"), spec="org/x")
    assert "license: other\nlicense_name: public-domain\n" in card
    assert "--voice org/x " in card
    assert f"# {cfg.name}\n" in card
