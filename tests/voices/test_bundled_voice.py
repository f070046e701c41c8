"""The voice that ships inside the package speaks offline, as a new user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glowtts_cli.voice_folder import read_voice_config
from glowtts_cli.voices import bundled_voice_dir, default_voice_name, load_catalog


def test_a_bundled_voice_is_the_default() -> None:
    name = default_voice_name()
    assert name is not None, "no bundled voice in voices/"
    entry = load_catalog()[name]
    assert entry.bundled
    cfg = read_voice_config(bundled_voice_dir(entry))
    assert cfg.name == name and cfg.vocoder.kind == "hifigan"
    assert cfg.training.steps > 0 and "word error rate" in cfg.training.notes


@pytest.mark.slow
def test_say_with_the_bundled_voice_offline(tmp_path: Path) -> None:
    """The README's first command, with the network off and empty caches."""
    glowtts = shutil.which("glowtts")
    assert glowtts, "the glowtts command is not installed (pip install -e .)"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "GLOWTTS_CACHE": str(tmp_path / "cache"),
        "OMP_NUM_THREADS": "1",
    }
    out = tmp_path / "fox.wav"
    result = subprocess.run(
        [glowtts, "say", "The quick brown fox jumps over the lazy dog.", "-o", str(out),
         "--seed", "0", "--threads", "1"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 22050 and audio.ndim == 1
    assert 1.0 < len(audio) / rate < 8.0
    assert np.isfinite(audio).all() and 0.05 < float(np.abs(audio).max()) <= 1.0
