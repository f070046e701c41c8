"""The vocoder training loop: random segments, AdamW with warm-up and exponential decay, the
non-adversarial losses, validation on whole held-out clips, atomic checkpoints, exact resume.

Each step's segments come from a generator seeded by (seed, step, rank) and the learning rate is a
function of the step alone, so a run continued from a checkpoint (with the same or more steps)
takes exactly the steps an uninterrupted run would. Ctrl-C and SIGTERM stop after the current
step and save first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from glowtts_cli.config import VocoderTrainConfig, to_dict
from glowtts_cli.data.prepare import PreparedDataset, PreparedUtterance
from glowtts_cli.errors import TrainingError
from glowtts_cli.train import distributed
from glowtts_cli.train.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from glowtts_cli.train.metrics import MetricsLogger, StepRate
from glowtts_cli.train.runs import RunCallbacks
from glowtts_cli.train.stopping import StopFlag
from glowtts_cli.train.vocoder_losses import VocoderCriterion, VocoderLosses
from glowtts_cli.vocoder.vocos import VocosGenerator

if TYPE_CHECKING:
    from glowtts_cli.train.teacher import TeacherTargets
    from glowtts_cli.train.vocoder import VocoderRunSpec

RUN_KIND = "vocoder"
"""``kind`` of a vocoder run's ``run.json`` and checkpoints."""


@dataclass(frozen=True)
class VocoderStepReport:
    """What the loop tells its caller after each optimizer step."""

    step: int
    max_steps: int
    losses: dict[str, float]
    learning_rate: float
    steps_per_second: float
    skipped: bool = False


@dataclass(frozen=True)
class VocoderCallbacks(RunCallbacks[VocoderStepReport]):
    """Progress hooks of a vocoder run for the CLI (all optional)."""

    on_eval: Callable[[int, dict[str, float]], None] | None = None
    """``(step, validation losses)`` after each evaluation."""


def learning_rate(cfg: VocoderTrainConfig, step: int) -> float:
    """Rate of optimizer step ``step + 1``: linear warm-up, then exponential decay to the floor.

    It does not depend on ``max_steps``: resuming with more steps continues the same schedule.
    """
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    decayed: float = cfg.learning_rate * 0.5 ** ((step - cfg.warmup_steps) / cfg.lr_half_life)
    return max(cfg.min_learning_rate, decayed)


class _Generate(nn.Module):
    """The generator as one forward (spectrum and waveform), so that DDP sees every use."""

    def __init__(self, generator: VocosGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        spectrum = self.generator.spectrum(mel)
        wav = self.generator.synthesize(spectrum)
        return wav, spectrum.log_magnitude, spectrum.phase


CACHE_BYTES = 3 << 30
"""Clips (audio + mel) kept in memory after their first use: about 7.5 hours at 22.05 kHz.
Reading a clip's file costs a quarter of a small model's step on one core; beyond the cap clips
are read again each time."""


class SegmentSampler:
    """Random fixed-length (audio, mel) segments of the training clips, reproducible per step."""

    def __init__(
        self,
        prepared: PreparedDataset,
        *,
        segment_frames: int,
        hop_length: int,
        targets: TeacherTargets | None = None,
    ) -> None:
        self.prepared = prepared
        self.frames = segment_frames
        self.hop = hop_length
        self.targets = targets
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._cached_bytes = 0
        pool = prepared.train if targets is None else targets.clips
        self.clips = [u for u in pool if u.n_frames >= segment_frames]
        if not self.clips:
            raise TrainingError(
                f"No training clip has {segment_frames} mel frames or more.",
                hint="Use longer clips or a smaller segment.",
            )

    def batch(self, step: int, *, seed: int, rank: int, size: int) -> tuple[torch.Tensor, ...]:
        """``(wav [B, segment * hop], mel [B, M, segment])`` for one step of one process."""
        rng = np.random.default_rng([seed, step, rank])
        wavs, mels = [], []
        for index in rng.integers(0, len(self.clips), size):
            utt = self.clips[int(index)]
            wav, mel = self._clip(utt)
            start = int(rng.integers(0, utt.n_frames - self.frames + 1))
            mels.append(mel[:, start : start + self.frames])
            wavs.append(wav[start * self.hop : (start + self.frames) * self.hop])
        return torch.from_numpy(np.stack(wavs)), torch.from_numpy(np.stack(mels))

    def _clip(self, utt: PreparedUtterance) -> tuple[np.ndarray, np.ndarray]:
        found = self._cache.get(utt.file)
        if found is None:
            found = self.prepared.waveform(utt)
            if self.targets is not None:  # the teacher's audio for this mel replaces the clip's
                found = (self.targets.waveform(utt), found[1])
            size = found[0].nbytes + found[1].nbytes
            if self._cached_bytes + size <= CACHE_BYTES:
                self._cache[utt.file] = found
                self._cached_bytes += size
        return found


class VocoderTrainer:
    """Optimises one Vocos generator on one prepared dataset; resumable, wraps itself in DDP
    under torchrun."""

    def __init__(
        self,
        *,
        run_dir: Path,
        spec: VocoderRunSpec,
        generator: VocosGenerator,
        prepared: PreparedDataset,
        device: torch.device,
        dist: distributed.DistInfo | None = None,
        targets: TeacherTargets | None = None,
    ) -> None:
        self.run_dir, self.spec, self.cfg = run_dir, spec, spec.train
        self.device = device
        self.dist = dist or distributed.DistInfo()
        self.generator = generator.to(device)
        self.model = distributed.wrap(_Generate(self.generator), self.dist, device)
        """The generator as one forward; under torchrun, wrapped in DDP."""
        self.criterion = VocoderCriterion(
            spec.audio, mel=self.cfg.mel_weight, stft=self.cfg.stft_weight,
            complex=self.cfg.complex_weight,
        ).to(device)  # fmt: skip
        self.sampler = SegmentSampler(
            prepared, segment_frames=self.cfg.segment_frames, hop_length=spec.audio.hop_length,
            targets=targets,
        )  # fmt: skip
        self.val = list(prepared.val[: self.cfg.eval_clips])
        self.prepared = prepared
        self.optimizer = torch.optim.AdamW(
            self.generator.parameters(), lr=self.cfg.learning_rate, betas=self.cfg.betas,
            weight_decay=self.cfg.weight_decay,
        )  # fmt: skip
        self.step = 0
        self.best_val: float | None = None
        self.bad_steps = 0
        self.last_checkpoint: Path | None = None
        self.log = MetricsLogger(run_dir, enabled=self.dist.is_main)

    # -- state ---------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly from here."""
        return {
            "format": 1, "kind": RUN_KIND, "step": self.step,
            "model": self.generator.state_dict(), "optimizer": self.optimizer.state_dict(),
            "rng": rng_state(), "best_val": self.best_val, "vocos": to_dict(self.spec.vocos),
        }  # fmt: skip

    def resume_if_possible(self) -> bool:
        """Load the newest checkpoint of the run folder; False if there is none."""
        path = latest_checkpoint(self.run_dir)
        if path is None:
            return False
        state = load_checkpoint(path)
        self.generator.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"])
        self.step, self.best_val = int(state["step"]), state.get("best_val")
        self.last_checkpoint = path
        return True

    def _save(self, *, best: bool = False) -> None:
        if self.dist.is_main:
            self.last_checkpoint = save_checkpoint(
                self.run_dir, self.state_dict(), self.step, keep_last=self.cfg.keep_last,
                best=best,
            )  # fmt: skip

    # -- steps ---------------------------------------------------------------------------------

    def _losses(self, wav: torch.Tensor, mel: torch.Tensor) -> VocoderLosses:
        wav_hat, log_magnitude, phase = self.model(mel.to(self.device))
        losses: VocoderLosses = self.criterion(wav_hat, log_magnitude, phase, wav.to(self.device))
        return losses

    def _optimize(self) -> tuple[VocoderLosses, float, bool]:
        lr = learning_rate(self.cfg, self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        wav, mel = self.sampler.batch(
            self.step, seed=self.cfg.seed, rank=self.dist.rank, size=self.cfg.batch_size
        )
        self.optimizer.zero_grad(set_to_none=True)
        losses = self._losses(wav, mel)
        finite = bool(torch.isfinite(losses.total.detach()).item())
        if self.dist.world_size > 1:
            flag = torch.tensor(float(finite), device=self.device)
            finite = distributed.all_reduce_mean(flag).item() == 1.0
        if finite:
            torch.autograd.backward(losses.total)
            nn.utils.clip_grad_norm_(self.generator.parameters(), self.cfg.grad_clip_norm)
            self.optimizer.step()
            self.step += 1
        return losses, lr, finite

    def _check_divergence(self, applied: bool) -> None:
        self.bad_steps = 0 if applied else self.bad_steps + 1
        if self.bad_steps >= self.cfg.max_bad_steps:
            raise TrainingError(
                f"Vocoder training diverged: {self.bad_steps} steps in a row had a non-finite "
                f"loss. The last good checkpoint is {self.last_checkpoint}.",
                hint="Lower the learning rate and resume, or check the audio with "
                "`glowtts dataset check`.",
            )

    # -- evaluation ----------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self) -> dict[str, float] | None:
        """Losses on whole held-out clips (mel L1 is the headline figure), plus an audio sample."""
        if not self.val:
            return None
        self.generator.eval()
        try:
            totals: dict[str, float] = {}
            for i, utt in enumerate(self.val):
                wav_np, mel_np = self.prepared.waveform(utt)
                n = mel_np.shape[-1]
                wav = torch.from_numpy(wav_np[: n * self.spec.audio.hop_length])[None]
                losses = self._losses(wav, torch.from_numpy(mel_np)[None])
                for key, value in losses.values().items():
                    totals[key] = totals.get(key, 0.0) + value / len(self.val)
                if i == 0 and self.dist.is_main:
                    sample = self.generator.vocode(torch.from_numpy(mel_np)[None].to(self.device))
                    rate = self.spec.audio.sample_rate
                    self.log.audio(self.step, "sample", sample[0].cpu().numpy(), rate)
                    if self.step == self.cfg.eval_every:
                        self.log.audio(self.step, "target", wav_np, rate)
            return totals
        finally:
            self.generator.train()

    def _after_step(self, report: VocoderStepReport, calls: VocoderCallbacks) -> None:
        step = self.step
        if step % self.cfg.log_every == 0:
            self.log.scalars(step, {**report.losses, "lr": report.learning_rate,
                                    "steps_per_second": report.steps_per_second})  # fmt: skip
        best = False
        if step % self.cfg.eval_every == 0 or step == self.cfg.max_steps:
            values = self.evaluate()
            if values is not None:
                self.log.scalars(step, values, prefix="val")
                if calls.on_eval is not None:
                    calls.on_eval(step, values)
                val = values["mel"]
                if math.isfinite(val) and (self.best_val is None or val < self.best_val):
                    self.best_val, best = val, True
        if step % self.cfg.checkpoint_every == 0 or best or step == self.cfg.max_steps:
            self._save(best=best)

    def run(self, calls: VocoderCallbacks | None = None) -> int:
        """Train until ``max_steps``; Ctrl-C / SIGTERM save after the current step and stop."""
        calls = calls or VocoderCallbacks()
        self.generator.train()
        rate = StepRate()
        try:
            with StopFlag() as stop:
                while self.step < self.cfg.max_steps:
                    losses, lr, applied = self._optimize()
                    report = VocoderStepReport(
                        self.step, self.cfg.max_steps, losses.values(), lr, rate.tick(),
                        skipped=not applied,
                    )  # fmt: skip
                    if applied:
                        self._after_step(report, calls)
                    if calls.on_step is not None:
                        calls.on_step(report)
                    self._check_divergence(applied)
                    if stop.agreed(self.dist.world_size, self.device):
                        self._save()
                        raise KeyboardInterrupt
        finally:
            self.log.close()
        return self.step
