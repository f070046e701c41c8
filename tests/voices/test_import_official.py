"""Importing official glow-tts checkpoints: layout, blank detection, reference outputs, safety."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from glowtts_cli.api import Voice
from glowtts_cli.errors import CheckpointError, ConfigError
from glowtts_cli.official_voice import import_official
from glowtts_cli.text.symbols import OFFICIAL_SYMBOLS


def _official_checkpoint(reference_dir: Path, tmp_path: Path, n_vocab: int) -> tuple[Path, Path]:
    """The reference weights saved as an official training checkpoint, with the embedding grown
    to ``n_vocab`` rows (the extra rows are never used by the reference inputs)."""
    state = load_file(str(reference_dir / "glow_tts" / "state_dict.safetensors"))
    kwargs = json.loads((reference_dir / "glow_tts" / "config.json").read_text())
    emb = state["encoder.emb.weight"]
    extra = torch.randn(
        n_vocab - emb.shape[0], emb.shape[1], generator=torch.Generator().manual_seed(0)
    )
    state["encoder.emb.weight"] = torch.cat([emb, extra])
    kwargs["n_vocab"] = n_vocab
    pth = tmp_path / "G_100.pth"
    torch.save({"model": state, "iteration": 100, "optimizer": {}, "learning_rate": 1.0}, pth)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": {k: v for k, v in kwargs.items() if k != "n_vocab"}}))
    return pth, config


@pytest.mark.parametrize("blank", [False, True])
def test_import_matches_reference_outputs(reference_dir: Path, tmp_path: Path, blank: bool) -> None:
    n_vocab = len(OFFICIAL_SYMBOLS) + int(blank)
    pth, config = _official_checkpoint(reference_dir, tmp_path, n_vocab)
    folder = import_official(pth, tmp_path / "voice", config=config, vocoder="universal")
    voice = Voice.load(folder, device="cpu", vocoder="griffin-lim")
    assert voice.cfg.text.add_blank is blank and voice.cfg.model.n_vocab == n_vocab
    ref = load_file(str(reference_dir / "glow_tts" / "tensors.safetensors"))
    for case, length_scale in (("infer_ls1.0", 1.0), ("infer_ls1.3", 1.3)):
        out = voice.model.infer(
            ref["inputs/x"], ref["inputs/x_lengths"], noise_scale=0.0, length_scale=length_scale
        )
        torch.testing.assert_close(out.y_lengths, ref[f"{case}/y_lengths"], rtol=0, atol=0)
        torch.testing.assert_close(out.y, ref[f"{case}/y_gen"], rtol=1e-5, atol=1e-5)


def test_blank_flag_must_match(reference_dir: Path, tmp_path: Path) -> None:
    pth, config = _official_checkpoint(reference_dir, tmp_path, len(OFFICIAL_SYMBOLS))
    with pytest.raises(CheckpointError, match="without the blank"):
        import_official(pth, tmp_path / "v", config=config, blank=True)


def test_wrong_vocabulary_is_refused(reference_dir: Path, tmp_path: Path) -> None:
    pth, config = _official_checkpoint(reference_dir, tmp_path, 60)
    with pytest.raises(CheckpointError, match="60 rows"):
        import_official(pth, tmp_path / "v", config=config)


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (open, ("/tmp/glowtts-exploit-ran", "w"))


def test_arbitrary_pickle_is_refused_without_running(tmp_path: Path) -> None:
    marker = Path("/tmp/glowtts-exploit-ran")
    marker.unlink(missing_ok=True)
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps({"model": _Exploit()}))
    with pytest.raises(CheckpointError):
        import_official(evil, tmp_path / "v")
    torch.save({"model": {"x": 1}}, tmp_path / "notweights.pth")
    with pytest.raises(CheckpointError, match="not a glow-tts checkpoint"):
        import_official(tmp_path / "notweights.pth", tmp_path / "v")
    assert not marker.exists()
    assert not (tmp_path / "v").exists()


def _files(tmp_path: Path) -> dict[str, Path]:
    """Files that are not official checkpoints, each torch.load failing its own way."""
    good = tmp_path / "good.pth"
    torch.save({"model": {"w": torch.zeros(3)}}, good)
    data = good.read_bytes()
    contents = {
        "garbage": bytes(range(256)) * 20,
        "empty": b"",
        "text": b"hello world\n",
        "truncated": data[: len(data) // 2],
        "pickle": pickle.dumps({"a": 1}, protocol=4),
    }
    files = {}
    torch.save({"model": _Exploit()}, tmp_path / "objects.pth")
    files["objects"] = tmp_path / "objects.pth"
    for name, content in contents.items():
        files[name] = tmp_path / f"{name}.pth"
        files[name].write_bytes(content)
    return files


@pytest.mark.parametrize(
    ("name", "reason"),
    [("garbage", "it is not a PyTorch checkpoint (or it is damaged)"),
     ("empty", "it is truncated or damaged"),
     ("text", "it is not a PyTorch checkpoint (or it is damaged)"),
     ("truncated", "it is truncated or damaged"),
     ("pickle", "it is not a PyTorch checkpoint (or it is damaged)"),
     ("objects", "it holds pickled Python objects ({open}), whose code a safe (weights-only) "
                 "load does not run")],
)  # fmt: skip
def test_issue_18_unreadable_checkpoints_say_why_without_torch_advice(
    name: str, reason: str, tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    """Item 11: torch's "Re-running torch.load with weights_only=False" never reaches users
    (nor a KeyError from the unpickler on a text file, nor torch's pickle-protocol warning)."""
    path = _files(tmp_path)[name]
    with pytest.raises(CheckpointError) as caught:
        import_official(path, tmp_path / "v")
    reason = reason.format(open=f"{open.__module__}.{open.__qualname__}")
    assert caught.value.message == f"Cannot read checkpoint {path}: {reason}."
    assert caught.value.hint == "Pass an official glow-tts .pth file (G_<epoch>.pth)."
    assert "weights_only" not in str(caught.value) and not recwarn.list
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("config", [b"{", b"\xd1\xff binary", b"[1, 2]"])
def test_issue_18_an_unreadable_official_config_is_one_clear_error(
    config: bytes, tmp_path: Path
) -> None:
    """A binary --config was a UnicodeDecodeError traceback; every case says what to pass."""
    pth = tmp_path / "good.pth"
    torch.save({"model": {"w": torch.zeros(3)}}, pth)
    (tmp_path / "config.json").write_bytes(config)
    with pytest.raises(ConfigError) as caught:
        import_official(pth, tmp_path / "v", config=tmp_path / "config.json")
    assert caught.value.message.startswith(f"{tmp_path / 'config.json'}") or (
        caught.value.message.startswith(f"Cannot read {tmp_path / 'config.json'}")
    )
    assert caught.value.hint and not (tmp_path / "v").exists()


def test_issue_18_a_checkpoint_of_something_else_says_what_to_pass(tmp_path: Path) -> None:
    pth = tmp_path / "good.pth"
    torch.save({"model": {"w": torch.zeros(3)}}, pth)
    with pytest.raises(CheckpointError, match="Not an official glow-tts") as caught:
        import_official(pth, tmp_path / "v")
    assert caught.value.hint and "G_<epoch>.pth" in caught.value.hint
