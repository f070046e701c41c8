"""Shared fixtures: deterministic seeds, the reference-data folder, small configs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.reference_sets import reference_path

pytest_plugins = ["tests.hub_fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same random state (torch only if already imported)."""
    random.seed(1234)
    np.random.seed(1234)
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(1234)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Golden data from the official implementations: ``GLOWTTS_REFERENCE_DIR`` or the copy here."""
    path = reference_path()
    if not path.is_dir():
        pytest.fail(f"reference folder {path} does not exist (GLOWTTS_REFERENCE_DIR)")
    return path


def write_tiny_voice(folder: Path, *, n_speakers: int = 0, seed: int = 0) -> Path:
    """A random-weight voice written by the real export code (tests only: it cannot speak)."""
    import torch

    from glowtts_cli.config import ModelConfig, TextConfig, VocoderConfig, VoiceConfig
    from glowtts_cli.model.glow_tts import GlowTTS
    from glowtts_cli.text.symbols import default_symbols
    from glowtts_cli.voice_folder import export_model_state, save_voice

    text = TextConfig(phonemizer="espeak", language="en-us", symbols=default_symbols("espeak"))
    model_cfg = ModelConfig.tiny(n_vocab=text.n_vocab, n_mels=80)
    speakers: tuple[str, ...] = ()
    if n_speakers > 1:
        from dataclasses import replace

        model_cfg = replace(model_cfg, n_speakers=n_speakers, gin_channels=8)
        speakers = tuple(f"spk{i}" for i in range(n_speakers))
    cfg = VoiceConfig(
        name="tiny-test",
        description="Random weights for tests; it cannot speak.",
        license="MIT",
        text=text,
        model=model_cfg,
        vocoder=VocoderConfig(kind="griffin-lim", griffin_lim_iters=4),
        speakers=speakers,
    )
    torch.manual_seed(seed)
    return save_voice(folder, cfg, export_model_state(GlowTTS(model_cfg)))


@pytest.fixture(scope="session")
def tiny_voice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide tiny single-speaker voice folder."""
    return write_tiny_voice(tmp_path_factory.mktemp("voices") / "tiny")


@pytest.fixture(scope="session")
def tiny_multispeaker_voice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide tiny voice with three named speakers."""
    return write_tiny_voice(tmp_path_factory.mktemp("voices") / "tiny3", n_speakers=3)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One intra-op torch thread during the test (restored after it).

    Tiny tensors gain nothing from more threads, float sums keep one order (exact comparisons),
    and on a shared 2-core machine threads spin-waiting on busy cores make many small
    convolutions several times slower (see docs/performance.md). A folder's conftest.py turns it
    on for all its tests with an autouse fixture that requests it.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def null_audio_home(tmp_path: Path) -> tuple[Path, Path]:
    """(HOME, raw file): a HOME whose ALSA default device writes the raw float32 samples played
    to that file, so playback is tested without a sound card. ALSA reads ``~/.asoundrc`` when
    PortAudio starts: pass ``HOME`` to a child process."""
    home = tmp_path / "home"
    home.mkdir()
    raw = tmp_path / "played.raw"
    (home / ".asoundrc").write_text(
        f'pcm.!default {{\n  type file\n  slave.pcm "null"\n  file "{raw}"\n  format "raw"\n}}\n'
    )
    return home, raw
