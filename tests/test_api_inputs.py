"""Issue 18 items 7 and 11: the Python API refuses bad inputs with its own errors, naming the
parameter (``seed``, ``threads``, ``noise_scale``), never a CLI flag or a foreign exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glowtts_cli.api import Audio, SynthesisOptions, Voice, speak
from glowtts_cli.errors import ConfigError


@pytest.mark.parametrize("seed", ["x", 1.5, -1, 2**63, 99999999999999999999999, True])
def test_issue_18_seed(seed: Any, tiny_voice_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"^seed must be a whole number from 0 to 2\*\*63-1"):
        SynthesisOptions(seed=seed)
    with pytest.raises(ConfigError, match=r"^seed must be"):
        speak("Hi.", Voice.load(tiny_voice_dir, device="cpu", threads=1), seed=seed)


def test_largest_seed_is_accepted(tiny_voice_dir: Path) -> None:
    voice = Voice.load(tiny_voice_dir, device="cpu", threads=1)
    assert speak("Hi.", voice, seed=2**63 - 1).duration > 0


@pytest.mark.parametrize("threads", ["x", 0, -1, 1.5, True])
def test_issue_18_threads(threads: Any, tiny_voice_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"^threads must be a whole number of at least 1"):
        Voice.load(tiny_voice_dir, device="cpu", threads=threads)


@pytest.mark.parametrize(
    ("field", "value"), [("noise_scale", float("nan")), ("length_scale", 50.0),
                         ("sentence_silence", -1.0), ("noise_scale", "x")],
)  # fmt: skip
def test_issue_18_library_errors_name_parameters(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        SynthesisOptions(**{field: value})
    assert caught.value.message.startswith(f"{field} must be"), caught.value.message
    assert "--" not in caught.value.message and caught.value.hint


@pytest.mark.parametrize("path", [None, 5, b"x.wav"])
def test_issue_18_audio_save_needs_a_path(path: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Audio\.save needs a file path"):
        Audio(np.zeros(10, np.float32), 22050).save(path)
