"""Training-test helpers: a tiny trainable model, tone datasets, spoken datasets, Trainers,
parameter checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import torch

from glowtts_cli.config import ModelConfig, TrainConfig, VoiceConfig
from glowtts_cli.data.prepare import PreparedDataset
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.train.distributed import DistInfo
from glowtts_cli.train.loop import Trainer
from tests.train.train_synthetic import tone_patterns, tone_samples, voice_for, write_prepared

DURATIONS = (0, 2, 3, 4, 5, 6, 7, 3, 5)
"""Planted frames per token id of the small tone language (id 0 is the pad)."""


def small_model(*, dropout: float = 0.0) -> ModelConfig:
    """The tiny test model over 8 tone tokens and 16 mel bins, optionally with dropout."""
    cfg = ModelConfig.tiny(n_vocab=len(DURATIONS), n_mels=16)
    if not dropout:
        return cfg
    return dataclasses.replace(
        cfg,
        encoder=dataclasses.replace(cfg.encoder, p_dropout=dropout),
        duration=dataclasses.replace(cfg.duration, p_dropout=dropout),
        decoder=dataclasses.replace(cfg.decoder, p_dropout=dropout),
    )


def tone_dataset(
    run_dir: Path, n_train: int, n_val: int = 0, *, seed: int = 0, lengths: tuple[int, int] = (3, 6)
) -> PreparedDataset:
    """A prepared tone-language dataset of ``n_train`` + ``n_val`` clips in ``run_dir``."""
    patterns = tone_patterns(len(DURATIONS) - 1, 16)
    clips = tone_samples(
        n_train + n_val, patterns=patterns, durations=DURATIONS, lengths=lengths, seed=seed
    )
    return write_prepared(run_dir, clips[:n_train], clips[n_train:])


def spoken_dataset(root: Path, voice_dir: Path, texts: Sequence[str], *, prefix: str) -> Path:
    """An LJSpeech-layout folder in ``root``: each text spoken by the voice in ``voice_dir``
    (slowed down, so that every clip has more mel frames than tokens even with the blank
    token), on one torch thread, as ``wavs/<prefix><i>.wav``."""
    from glowtts_cli.api import Voice, speak

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        voice = Voice.load(voice_dir, device="cpu")
        lines = []
        for i, text in enumerate(texts):
            speak(text, voice, seed=i, length_scale=3.0).save(root / "wavs" / f"{prefix}{i}.wav")
            lines.append(f"{prefix}{i}|{text}")
        (root / "metadata.csv").write_text("\n".join(lines) + "\n", "utf-8")
    finally:
        torch.set_num_threads(threads)
    return root


def make_trainer(
    run_dir: Path,
    prepared: PreparedDataset,
    train: TrainConfig,
    *,
    model: ModelConfig | None = None,
    from_scratch: bool = True,
    dist: DistInfo | None = None,
) -> Trainer:
    """A Trainer on the tone voice, its model built from ``train.seed`` (as ``run`` does)."""
    cfg = model or small_model()
    voice: VoiceConfig = voice_for(cfg)
    torch.manual_seed(train.seed)
    return Trainer(
        run_dir=run_dir,
        voice=voice,
        train=train,
        model=GlowTTS(cfg),
        prepared=prepared,
        device=torch.device("cpu"),
        from_scratch=from_scratch,
        dist=dist,
    )


def quiet(**overrides: object) -> TrainConfig:
    """A TrainConfig that neither logs, evaluates nor saves on its own unless asked to."""
    base: dict[str, object] = {
        "batch_size": 2,
        "learning_rate": 1e-3,
        "scheduler": "constant",
        "checkpoint_every": 10**6,
        "eval_every": 10**6,
        "log_every": 10**6,
    }
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def parameters(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of every parameter."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def assert_same_parameters(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    """Bit-for-bit equal parameter sets (atol 0), naming the first that differs."""
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), (
            f"{name} differs by {float((a[name] - b[name]).abs().max())}"
        )


def resume_config(max_steps: int) -> TrainConfig:
    """The run the resume tests interrupt: Noam warm-up, DDI, dropout-free data order checks,
    evaluation (which draws random numbers) every 2 steps, 3 batches per epoch of 6 clips."""
    return quiet(
        max_steps=max_steps,
        scheduler="noam",
        learning_rate=0.5,
        warmup_steps=3,
        eval_every=2,
        checkpoint_every=3,
    )


def resume_dataset(run_dir: Path) -> PreparedDataset:
    """6 training and 2 validation tone clips."""
    return tone_dataset(run_dir, 6, 2, seed=3)


def without_dropout(model: torch.nn.Module) -> torch.nn.Module:
    """Set every dropout to p=0, including the prenet's fixed 0.5 (official value, not in the
    config): comparisons across processes must not depend on each process's random masks."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return model
