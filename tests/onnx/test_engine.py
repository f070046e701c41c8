"""The ONNX engine: ``Voice``/``speak``/``glowtts say`` on an exported graph, without torch."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

pytestmark = pytest.mark.requires_espeak

TEXT = "Hello world. How are you today?"


def _flat(voice: object) -> np.ndarray:
    from glowtts_cli.api import SynthesisOptions

    options = SynthesisOptions(noise_scale=0.0, length_scale=1.2)
    return voice.synthesize(TEXT, options).samples  # type: ignore[attr-defined, no-any-return]


def test_onnx_engine_speaks_like_torch(exported_dir: Path, hifigan_voice_dir: Path) -> None:
    from glowtts_cli.api import Voice

    graph = Voice.load(exported_dir, engine="onnx", threads=1)
    assert graph.graph is not None and graph.model is None
    torch_voice = Voice.load(hifigan_voice_dir, engine="torch", threads=1)
    ours, theirs = _flat(graph), _flat(torch_voice)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=2e-5, rtol=0)


def test_onnx_engine_streams_whole_sentences_and_speakers(
    exported_multispeaker_dir: Path, hifigan_multispeaker_dir: Path
) -> None:
    from glowtts_cli.api import SynthesisOptions, Voice

    graph = Voice.load(exported_multispeaker_dir, engine="onnx", threads=1)
    torch_voice = Voice.load(hifigan_multispeaker_dir, engine="torch", threads=1)
    options = SynthesisOptions(noise_scale=0.0, speaker="spk1")
    pieces = list(graph.stream(TEXT, options, chunk_frames=8))
    assert [p.sentence_end for p in pieces] == [True, True]  # no vocoder pieces: whole sentences
    expected = torch_voice.synthesize(TEXT, options).samples
    got = np.concatenate([p.samples for p in pieces])
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=0)


def test_auto_takes_the_graph_only_when_it_matches_the_weights(
    hifigan_voice_dir: Path, tmp_path: Path
) -> None:
    from glowtts_cli.api import Voice
    from glowtts_cli.onnx.export import export_onnx

    folder = tmp_path / "voice"
    shutil.copytree(hifigan_voice_dir, folder)
    assert Voice.load(folder, engine="auto").graph is None  # nothing exported yet
    export_onnx(folder, folder)
    assert Voice.load(folder, engine="auto").graph is not None
    assert Voice.load(folder, engine="auto", vocoder="griffin-lim").graph is None
    assert Voice.load(folder, engine="torch").graph is None
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")  # other weights than exported
    assert Voice.load(folder, engine="auto").graph is None


def test_seeds_keep_torch(exported_dir: Path) -> None:
    from glowtts_cli.api import SynthesisOptions, Voice, resolve_engine
    from glowtts_cli.errors import ConfigError

    assert resolve_engine("auto", seed=3, noise_scale=None) == "torch"
    assert resolve_engine("auto", seed=3, noise_scale=0.0) == "auto"
    assert resolve_engine("auto", seed=None, noise_scale=0.5) == "auto"
    assert resolve_engine("onnx", seed=3, noise_scale=0.5) == "onnx"
    voice = Voice.load(exported_dir, engine="onnx")
    with pytest.raises(ConfigError, match="seed"):
        voice.synthesize(TEXT, SynthesisOptions(seed=3, noise_scale=0.5))
    voice.synthesize(TEXT, SynthesisOptions(seed=3, noise_scale=0.0))  # deterministic anyway


def test_onnx_engine_errors(hifigan_voice_dir: Path, exported_dir: Path) -> None:
    from glowtts_cli.api import Voice
    from glowtts_cli.errors import ConfigError, VoiceNotFoundError

    with pytest.raises(VoiceNotFoundError, match="export-onnx"):
        Voice.load(hifigan_voice_dir, engine="onnx")
    with pytest.raises(ConfigError, match="vocoder"):
        Voice.load(exported_dir, engine="onnx", vocoder="griffin-lim")
    with pytest.raises(ConfigError, match="CPU"):
        Voice.load(exported_dir, engine="onnx", device="cuda")
    with pytest.raises(ConfigError, match="engine"):
        Voice.load(exported_dir, engine="tensorrt")


def _imports(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run Python with ``-X importtime``; the modules it imported, by full and top-level name."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc, names | {name.split(".")[0] for name in names}


def test_say_on_the_graph_never_imports_torch(
    exported_dir: Path, hifigan_voice_dir: Path, tmp_path: Path
) -> None:
    say = ["-m", "glowtts_cli", "say", TEXT, "--voice"]
    proc, modules = _imports([*say, str(exported_dir), "--engine", "onnx", "-o", "o.wav"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "onnxruntime" in modules and "torch" not in modules
    # Nor what start-up need not pay for (docs/performance.md): typer 0.29's pydantic adapters
    # (0.13 s), the Hub client's urllib.request (a local voice), rich's progress bar (no terminal).
    assert not {"pydantic", "urllib.request", "rich.progress"} & modules
    with wave.open(str(tmp_path / "o.wav")) as wav:
        assert wav.getframerate() == 22050 and wav.getnframes() > 0
    # The same check sees torch when the torch engine runs (so it would notice a regression).
    torch_say = [*say, str(hifigan_voice_dir), "--engine", "torch", "-o", "t.wav"]
    proc, modules = _imports(torch_say, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "torch" in modules


def test_speak_takes_the_graph_by_itself_without_torch(exported_dir: Path, tmp_path: Path) -> None:
    code = (
        "from glowtts_cli import speak; "
        f"audio = speak({TEXT!r}, voice={str(exported_dir)!r}, noise_scale=0.0); "
        "audio.save('speak.wav'); print(len(audio.samples))"
    )
    proc, modules = _imports(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "torch" not in modules and "onnxruntime" in modules
    assert int(proc.stdout.split()[-1]) > 0


def test_export_without_out_finds_its_way_back(
    hifigan_voice_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --out: a local voice's graph goes into its own folder; a bundled voice's (its folder
    is the package's) into the user cache, where loading it by name under ``auto`` finds it."""
    from glowtts_cli.api import Voice
    from glowtts_cli.files import sha256_file
    from glowtts_cli.hub import resolve
    from glowtts_cli.onnx.export import export_onnx
    from glowtts_cli.onnx.runtime import graph_folder
    from glowtts_cli.voices import default_voice

    monkeypatch.setenv("GLOWTTS_CACHE", str(tmp_path / "cache"))
    local = tmp_path / "local"
    shutil.copytree(hifigan_voice_dir, local)
    assert export_onnx(local) == local / "model.onnx"
    assert not (tmp_path / "cache").exists()

    name = default_voice()
    bundled = resolve(name).path
    before = sorted(p.name for p in bundled.iterdir())
    assert Voice.load(name, engine="auto").graph is None  # nothing exported yet
    graph = export_onnx(name)
    digest = sha256_file(bundled / "model.safetensors")
    assert graph == tmp_path / "cache" / "onnx" / digest[:16] / "model.onnx"
    assert sorted(p.name for p in bundled.iterdir()) == before  # the package folder untouched
    voice = Voice.load(name, engine="auto", threads=1)
    assert voice.graph is not None and voice.path == bundled
    assert voice.synthesize("Hi.").samples.size > 0
    # Other weights do not take a cached graph that is not theirs.
    assert graph_folder(hifigan_voice_dir) is None
    assert Voice.load(hifigan_voice_dir, engine="auto").graph is None
    # `voices remove` of the bundled voice removes its exported graph (the voice stays).
    removal = [sys.executable, "-m", "glowtts_cli", "voices", "remove", name]
    proc = subprocess.run(removal, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "removed the exported ONNX graph" in proc.stderr, proc.stderr
    assert not graph.parent.exists() and Voice.load(name, engine="auto").graph is None
    proc = subprocess.run(removal, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "ships inside the package" in proc.stderr, proc.stderr


def test_cli_export_onnx_defaults_to_the_voice_folder(
    hifigan_voice_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "voice"
    shutil.copytree(hifigan_voice_dir, folder)
    monkeypatch.setenv("GLOWTTS_CACHE", str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "glowtts_cli", "voices", "export-onnx", str(folder)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Warning" not in proc.stderr, proc.stderr  # the tracer's expected warnings are quiet
    assert (folder / "model.onnx").is_file() and (folder / "model.onnx.json").is_file()
