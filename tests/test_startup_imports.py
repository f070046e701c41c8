"""Synthesis never imports what only training needs: Numba (alignment search), the training loop,
data preparation, TensorBoard. Each costs start-up time on every `glowtts say` (numba: 0.3-2 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TRAINING_ONLY = (
    "numba",
    "tensorboard",
    "glowtts_cli.align",
    "glowtts_cli.train",
    "glowtts_cli.data",
)
"""Modules (and their submodules) that synthesis must not import."""


LIBRARY = """
import json, sys
import glowtts_cli
voice = glowtts_cli.Voice.load(sys.argv[1], device="cpu")
voice.synthesize("Hello there. Two sentences.")
print(json.dumps(sorted(sys.modules)))
"""

CLI = """
import json, sys
from glowtts_cli.cli import main
out = sys.argv[3]
sys.argv = ["glowtts", "say", "Hello there.", "--voice", sys.argv[1], "-o", sys.argv[2]]
try:
    main()
except SystemExit as e:
    assert not e.code, e.code
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
"""


def _loaded(script: str, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return list(json.loads(result.stdout.strip().splitlines()[-1])) if result.stdout else []


def _training_only(modules: list[str]) -> list[str]:
    return [m for m in modules for t in TRAINING_ONLY if m == t or m.startswith(t + ".")]


def test_library_synthesis_imports_nothing_training_only(tiny_voice_dir: Path) -> None:
    modules = _loaded(LIBRARY, str(tiny_voice_dir))
    assert "glowtts_cli.model.glow_tts" in modules  # the model did load
    assert not _training_only(modules)


def test_glowtts_say_imports_nothing_training_only(tiny_voice_dir: Path, tmp_path: Path) -> None:
    listing = tmp_path / "modules.json"
    _loaded(CLI, str(tiny_voice_dir), str(tmp_path / "x.wav"), str(listing))
    modules = json.loads(listing.read_text("utf-8"))
    assert (tmp_path / "x.wav").stat().st_size > 44 and "torch" in modules
    assert not _training_only(modules)
