"""The Glow-TTS training loop: MLE + duration loss, Adam, schedule, clipping, AMP, DDP, resume.

One step = ``forward_train`` (flow forward + MAS) -> ``mle_loss + duration_loss`` -> backward ->
gradients clipped by value at 5 (official) -> Adam. Everything a resumed run needs to continue
exactly (model, optimizer, schedule, step, RNG, data order) goes into each checkpoint. Ctrl-C and
SIGTERM stop after the current step and save first.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from glowtts_cli.config import TrainConfig, VoiceConfig, to_dict
from glowtts_cli.data.dataset import Batch, BucketBatchSampler, TextMelDataset, collate
from glowtts_cli.data.prepare import PreparedDataset, PreparedUtterance
from glowtts_cli.errors import TrainingError
from glowtts_cli.model.glow_tts import GlowTTS, TrainOutput
from glowtts_cli.train.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from glowtts_cli.train.distributed import (
    DistInfo,
    all_reduce_mean,
    broadcast_parameters,
    gather_objects,
    wrap,
)
from glowtts_cli.train.losses import duration_loss, mle_loss
from glowtts_cli.train.metrics import MetricsLogger, StepRate
from glowtts_cli.train.schedule import learning_rate_at
from glowtts_cli.train.stopping import StopFlag

logger = logging.getLogger(__name__)

VAL_SCORES = {"loss": "loss", "mel": "mel_l1"}
"""``train.val_metric`` -> the value of :meth:`Trainer.evaluate` it ranks by (logged as
``val/<value>``)."""

EVAL_BATCHES = 8
"""Validation batches per evaluation (bounds its cost on long validation sets)."""


@dataclass(frozen=True)
class StepReport:
    """What the loop tells its caller after each optimizer step."""

    step: int
    max_steps: int
    loss: float
    loss_mle: float
    loss_duration: float
    learning_rate: float
    steps_per_second: float
    skipped: bool = False
    """True when the loss was not finite and the update was skipped."""


@dataclass
class TrainResult:
    """How a run ended."""

    step: int
    """Optimizer steps done in total (including earlier sessions of the run)."""
    best_val_loss: float | None
    """Lowest validation score (``train.val_metric``) seen, if any evaluation ran."""
    last_losses: dict[str, float] = field(default_factory=dict)
    """Training losses of the last step."""
    checkpoint: Path | None = None
    """The last checkpoint written."""
    val_history: list[tuple[int, float]] = field(default_factory=list)
    """(step, validation score) of every evaluation of the run; step 0 is the base voice."""
    stopped_early: bool = False
    """True when the run stopped because the validation score no longer improved."""
    val_metric: str = "loss"
    """What the validation score is (``train.val_metric``)."""

    @property
    def best_step(self) -> int | None:
        """The step of the lowest validation score (what ``best.pt`` holds)."""
        if not self.val_history:
            return None
        return min(self.val_history, key=lambda item: (item[1], item[0]))[0]


@dataclass(frozen=True)
class Losses:
    """The three loss values of one batch (tensors, for backward)."""

    total: torch.Tensor
    mle: torch.Tensor
    duration: torch.Tensor
    output: TrainOutput


def speaker_conditioning(
    raw: GlowTTS, speakers: torch.Tensor, device: torch.device
) -> torch.Tensor | None:
    """The speaker embedding [B, G, 1] of a batch's speaker ids [B]; None for one speaker."""
    return raw.speaker_embedding(speakers.to(device)) if raw.cfg.multi_speaker else None


def compute_losses(
    model: nn.Module, raw: GlowTTS, batch: Batch, device: torch.device, align_band: int = 0
) -> Losses:
    """Forward one batch through ``model`` (maybe DDP-wrapped ``raw``) and compute the losses
    (``align_band``: see :meth:`GlowTTS.forward_train`)."""
    x, x_lengths = batch.x.to(device), batch.x_lengths.to(device)
    y, y_lengths = batch.y.to(device), batch.y_lengths.to(device)
    g = speaker_conditioning(raw, batch.speakers, device)
    out: TrainOutput = model(x, x_lengths, y, y_lengths, g, align_band)
    l_mle = mle_loss(out.z, out.mu_y, out.logs_y, out.logdet, out.y_mask)
    l_dur = duration_loss(out.logw, out.logw_mas, x_lengths)
    return Losses(l_mle + l_dur, l_mle, l_dur, out)


def prior_mel_error(
    raw: GlowTTS, out: TrainOutput, batch: Batch, device: torch.device
) -> torch.Tensor:
    """Mean L1 between each clip's log-mel and the mel the decoder makes from the prior mean
    expanded along the clip's alignment (noise 0): how close the voice's rendering of the text
    is to the recording when the durations are right, whatever the prior's spread."""
    g = speaker_conditioning(raw, batch.speakers, device)
    mask = out.y_mask  # [B, 1, T_y]
    y_hat, _ = raw.decoder(out.mu_y * mask, mask, g=g, reverse=True)  # [B, M, T_y]
    y = batch.y.to(device)[:, :, : mask.shape[-1]]  # [B, M, T_y]
    error: torch.Tensor = ((y_hat - y).abs() * mask).sum() / (mask.sum() * y.shape[1])
    return error


def alignable(prepared: PreparedDataset, n_sqz: int) -> tuple[PreparedDataset, tuple[str, ...]]:
    """The dataset without clips that have fewer usable frames than tokens, and their ids.

    Alignment search gives every token at least one frame, so such a clip (very fast speech,
    or a transcript longer than its audio; the blank token doubles the count) cannot be
    aligned. The model sees ``n_frames`` floored to a multiple of ``n_sqz``.
    """

    def fits(u: PreparedUtterance) -> bool:
        return u.n_tokens <= (u.n_frames // n_sqz) * n_sqz

    dropped = tuple(u.id for u in (*prepared.train, *prepared.val) if not fits(u))
    if dropped:
        logger.warning(
            "leaving out %d clip(s) with fewer mel frames than tokens: %s",
            len(dropped), ", ".join(dropped[:10]) + (" ..." if len(dropped) > 10 else ""),
        )  # fmt: skip
        prepared = dataclasses.replace(
            prepared,
            train=tuple(u for u in prepared.train if fits(u)),
            val=tuple(u for u in prepared.val if fits(u)),
        )
    return prepared, dropped


def freeze_parts(model: GlowTTS, parts: Sequence[str]) -> list[nn.Parameter]:
    """Turn off the gradients of the named parts: top-level (``encoder``, ``duration``,
    ``decoder``) or modules inside them (``encoder.layers``); returns the parameters left to
    train.

    Raises:
        TrainingError: a part names no parameter of the model, or nothing is left to train.
    """
    used: set[str] = set()
    for name, parameter in model.named_parameters():
        hits = {p for p in parts if name == p or name.startswith(p + ".")}
        used |= hits
        parameter.requires_grad_(not hits)
    unknown = [p for p in parts if p not in used]
    if unknown:
        raise TrainingError(
            f"freeze: the model has no part {', '.join(unknown)}.",
            hint="Name encoder, duration or decoder, or a module inside one (encoder.layers).",
        )
    trained = [p for p in model.parameters() if p.requires_grad]
    if not trained:
        raise TrainingError("freeze: nothing is left to train.", hint="Freeze fewer parts.")
    return trained


def to_voice_speakers(prepared: PreparedDataset, speakers: tuple[str, ...]) -> PreparedDataset:
    """The dataset with speaker ids as rows of the voice's speaker table.

    Prepared ids index the data's own speaker list; a fine-tuned voice may hold more speakers
    (its base voice's first), so a name's row there can differ.
    """
    if not prepared.speakers or prepared.speakers == speakers:
        return prepared
    missing = [name for name in prepared.speakers if name not in speakers]
    if missing:
        raise TrainingError(
            f"The data's speakers {missing[:10]} are not in the voice's speaker table.",
            hint="Start a new run folder: the data's speakers changed after the run began.",
        )
    rows = [speakers.index(name) for name in prepared.speakers]

    def moved(utts: tuple[PreparedUtterance, ...]) -> tuple[PreparedUtterance, ...]:
        return tuple(dataclasses.replace(u, speaker=rows[u.speaker]) for u in utts)

    return dataclasses.replace(prepared, train=moved(prepared.train), val=moved(prepared.val))


class Trainer:
    """Runs (or resumes) the optimisation of one model on one prepared dataset.

    Under torchrun (``dist`` of more than one process) it wraps the model in DDP itself.
    """

    def __init__(
        self,
        *,
        run_dir: Path,
        voice: VoiceConfig,
        train: TrainConfig,
        model: GlowTTS,
        prepared: PreparedDataset,
        device: torch.device,
        dist: DistInfo | None = None,
        from_scratch: bool = True,
        evaluate_audio: Callable[[torch.Tensor], Any] | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.voice = voice
        self.cfg = train
        self.device = device
        self.dist = dist or DistInfo()
        self.from_scratch = from_scratch
        self.raw = model.to(device)
        self.model = wrap(self.raw, self.dist, device)
        """What steps run forward through: ``raw`` itself, or under torchrun its DDP wrapper."""
        self.evaluate_audio = evaluate_audio
        prepared, self.too_short = alignable(prepared, model.cfg.decoder.n_sqz)
        prepared = to_voice_speakers(prepared, voice.speakers)
        self.train_set = TextMelDataset(prepared, "train")
        self.val_set = TextMelDataset(prepared, "val")
        if len(self.train_set) == 0:
            why = f" ({len(self.too_short)} have fewer mel frames than tokens)"
            raise TrainingError(
                "The prepared dataset has no usable training clips"
                + (why if self.too_short else "."),
                hint="Check that each transcript matches its audio (`glowtts dataset check`).",
            )
        self.sampler = BucketBatchSampler(
            self.train_set.lengths,
            train.batch_size,
            seed=train.seed,
            bucket_batches=train.bucket_batches,
        )
        self.optimizer = torch.optim.Adam(
            freeze_parts(self.raw, train.freeze), lr=1.0, betas=train.betas, eps=train.eps
        )
        self._lr = learning_rate_at(train, model.cfg.encoder.hidden_channels)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr)
        self.use_amp = train.amp and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.step = 0
        self.best_val: float | None = None
        self.val_history: list[tuple[int, float]] = []
        self.evals_since_best = 0
        """Evaluations since the validation score last improved (early stopping)."""
        self.bad_steps = 0
        self.ddi_pending = from_scratch and train.ddi
        """Data-dependent init still to do (once, on the first batch of a run from scratch)."""
        self.last_checkpoint: Path | None = None
        self.log = MetricsLogger(run_dir, enabled=self.dist.is_main)
        self._rate = StepRate()

    # -- state ---------------------------------------------------------------------------------

    def state_dict(self, batches_done: int) -> dict[str, Any]:
        """Everything needed to continue exactly from here (under DDP: call on every process)."""
        return {
            "format": 1,
            "step": self.step,
            "model": self.raw.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            # Under DDP each process used ``batches_done`` batches of the shared epoch order.
            "sampler": self.sampler.state_dict(batches_done * self.dist.world_size),
            "rng": rng_state(),
            # Each process draws its own dropout masks: keep every process's generators.
            "rng_ranks": gather_objects(rng_state()) if self.dist.world_size > 1 else [],
            "best_val": self.best_val,
            "val_history": [list(item) for item in self.val_history],
            "evals_since_best": self.evals_since_best,
            "voice": to_dict(self.voice),
            "train": to_dict(self.cfg),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (the model must have the same architecture)."""
        self.raw.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.sampler.load_state_dict(state["sampler"])
        ranks = state.get("rng_ranks") or []
        same_job = len(ranks) == self.dist.world_size
        set_rng_state(ranks[self.dist.rank] if same_job else state["rng"])
        self.step = int(state["step"])
        self.best_val = state.get("best_val")
        self.val_history = [(int(s), float(v)) for s, v in state.get("val_history", [])]
        self.evals_since_best = int(state.get("evals_since_best", 0))

    def resume_if_possible(self) -> bool:
        """Load the newest checkpoint of the run folder; False if there is none."""
        path = latest_checkpoint(self.run_dir)
        if path is None:
            return False
        self.load_state_dict(load_checkpoint(path))
        self.last_checkpoint = path
        return True

    def _save(self, batches_done: int, *, best: bool = False) -> None:
        state = self.state_dict(batches_done)  # on every process: it gathers their RNG states
        if self.dist.is_main:
            self.last_checkpoint = save_checkpoint(
                self.run_dir, state, self.step, keep_last=self.cfg.keep_last, best=best
            )

    # -- data ----------------------------------------------------------------------------------

    def _batches(self) -> Iterator[Batch]:
        """This pass's batches (this rank's share under DDP), without touching the global RNG."""
        indices = list(self.sampler)
        if self.dist.world_size > 1:
            usable = len(indices) - len(indices) % self.dist.world_size
            indices = indices[:usable][self.dist.rank :: self.dist.world_size]
        if self.cfg.num_workers == 0:
            for chunk in indices:
                yield collate([self.train_set[i] for i in chunk])
            return
        loader = torch.utils.data.DataLoader(
            self.train_set,
            batch_sampler=indices,
            collate_fn=collate,
            num_workers=self.cfg.num_workers,
            generator=torch.Generator().manual_seed(self.cfg.seed + self.step),
        )
        yield from loader

    # -- steps ---------------------------------------------------------------------------------

    def _data_dependent_init(self, batch: Batch) -> None:
        """Official ActNorm DDI: one forward pass on the first batch sets every ActNorm."""
        self.raw.set_ddi(True)
        with torch.no_grad():
            compute_losses(self.raw, self.raw, batch, self.device, self.cfg.align_band)
        self.raw.set_ddi(False)
        self.ddi_pending = False
        # Under DDP every process saw a different first batch: all take rank 0's statistics,
        # or the replicas would start (and stay) different.
        broadcast_parameters(self.raw)

    def _optimize(self, batch: Batch) -> tuple[Losses, bool]:
        """One update; returns the losses and whether the update was applied."""
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16, enabled=self.use_amp):
            losses = compute_losses(self.model, self.raw, batch, self.device, self.cfg.align_band)
        finite = bool(torch.isfinite(losses.total.detach()).item())
        if self.dist.world_size > 1:
            finite = all_reduce_mean(torch.tensor(float(finite), device=self.device)).item() == 1.0
        if not finite:
            return losses, False
        scaled: torch.Tensor = self.scaler.scale(losses.total)
        torch.autograd.backward(scaled)
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_value_(self.raw.parameters(), self.cfg.grad_clip_value)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return losses, True

    def _check_divergence(self, applied: bool) -> None:
        self.bad_steps = 0 if applied else self.bad_steps + 1
        if self.bad_steps >= self.cfg.max_bad_steps:
            where = (
                f" The last good checkpoint is {self.last_checkpoint}."
                if self.last_checkpoint
                else ""
            )
            raise TrainingError(
                f"Training diverged: {self.bad_steps} steps in a row had a non-finite loss.{where}",
                hint="Lower the learning rate (--learning-rate) and resume, or check the data with "
                "`glowtts dataset check`.",
            )

    # -- evaluation ----------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self, *, media: bool = True) -> dict[str, float] | None:
        """Validation ``loss`` and ``mel_l1`` (:func:`prior_mel_error`), plus (with ``media``)
        an alignment image, mel images and a sample; None without held-out clips."""
        if len(self.val_set) == 0:
            return None
        self.raw.eval()
        try:
            sums = {"loss": 0.0, "mel_l1": 0.0}
            n, size, batches = len(self.val_set), self.cfg.batch_size, 0
            first: tuple[Batch, Losses] | None = None
            for start in range(0, min(n, size * EVAL_BATCHES), size):
                batch = collate([self.val_set[i] for i in range(start, min(n, start + size))])
                losses = compute_losses(self.raw, self.raw, batch, self.device, self.cfg.align_band)
                sums["loss"] += float(losses.total)
                mel = prior_mel_error(self.raw, losses.output, batch, self.device)
                sums["mel_l1"] += float(mel)
                batches += 1
                first = first or (batch, losses)
            values = {k: v / batches for k, v in sums.items()}
            if self.dist.world_size > 1:  # identical on every process, so all agree on "best"
                values = {
                    k: float(all_reduce_mean(torch.tensor(v, device=self.device)))
                    for k, v in values.items()
                }
            if media and first is not None and self.dist.is_main:
                self._eval_media(*first)
            return values
        finally:
            self.raw.train()

    def _eval_media(self, batch: Batch, losses: Losses) -> None:
        out = losses.output
        tx, ty = int(batch.x_lengths[0]), int(out.y_lengths[0])
        self.log.image(self.step, "alignment", out.attn[0, :tx, :ty].float().cpu().numpy())
        self.log.image(self.step, "mel_target", batch.y[0, :, :ty].numpy())
        g = speaker_conditioning(self.raw, batch.speakers[:1], self.device)
        gen = self.raw.infer(  # at the voice's own temperature, as `glowtts say` will speak
            batch.x[:1].to(self.device),
            batch.x_lengths[:1].to(self.device),
            g=g,
            noise_scale=self.voice.inference.noise_scale,
        )
        mel = gen.y[0, :, : int(gen.y_lengths[0])]
        self.log.image(self.step, "mel_generated", mel.float().cpu().numpy())
        if self.evaluate_audio is not None:
            samples = self.evaluate_audio(mel.float())
            self.log.audio(self.step, "sample", samples, self.voice.audio.sample_rate)

    # -- the loop ------------------------------------------------------------------------------

    def run(self, on_step: Callable[[StepReport], None] | None = None) -> TrainResult:
        """Train until ``max_steps``; resumes are handled by :meth:`resume_if_possible` first."""
        self.raw.train()
        self._rate = StepRate()
        losses: Losses | None = None
        try:
            if self.step == 0 and not self.from_scratch and not self.val_history:
                self._evaluate_base()
            with StopFlag() as stop:
                while not self._finished():
                    batches_done = 0
                    for batch in self._batches():
                        losses, report = self._step(batch)
                        batches_done += 1
                        self._after_step(report, batches_done)
                        if on_step is not None:
                            on_step(report)
                        self._check_divergence(not report.skipped)
                        if stop.agreed(self.dist.world_size, self.device):
                            self._save(batches_done)
                            raise KeyboardInterrupt
                        if self._finished():
                            break
                    else:
                        self.sampler.set_epoch(self.sampler.epoch + 1)
                        continue
                    self._save(batches_done, best=self._evaluate_last())
        finally:
            self.log.close()
        last = {} if losses is None else {
            "loss": float(losses.total.detach()), "mle": float(losses.mle.detach()),
            "duration": float(losses.duration.detach()),
        }  # fmt: skip
        return TrainResult(
            self.step, self.best_val, last, self.last_checkpoint, list(self.val_history),
            self.stopped_early, self.cfg.val_metric,
        )  # fmt: skip

    @property
    def stopped_early(self) -> bool:
        """Whether ``patience`` evaluations in a row brought no lower validation score."""
        return 0 < self.cfg.patience <= self.evals_since_best

    def _finished(self) -> bool:
        return self.step >= self.cfg.max_steps or self.stopped_early

    def _evaluate_base(self) -> None:
        """Validation score of the starting weights (a fine-tune's base voice), saved as the
        first best checkpoint: a fine-tune that never improves on it exports the base voice
        rather than a worse one."""
        values = self.evaluate(media=False)
        if values is not None and math.isfinite(self._score(values)):
            self._record_val(values)
            self._save(0, best=True)

    def _evaluate_last(self) -> bool:
        """Score the final weights too (unless this step was just scored), so that the best
        checkpoint is chosen among every candidate; True when they are the best."""
        if self.val_history and self.val_history[-1][0] == self.step:
            return False
        values = self.evaluate(media=False)
        return values is not None and self._record_val(values)

    def _score(self, values: dict[str, float]) -> float:
        """The validation value that ``train.val_metric`` ranks checkpoints by."""
        return values[VAL_SCORES[self.cfg.val_metric]]

    def _record_val(self, values: dict[str, float]) -> bool:
        """Log one evaluation; True when its score is the best so far."""
        val = self._score(values)
        self.val_history.append((self.step, val))
        self.log.scalars(self.step, values, prefix="val")
        if math.isfinite(val) and (self.best_val is None or val < self.best_val):
            self.best_val, self.evals_since_best = val, 0
            return True
        self.evals_since_best += 1
        return False

    def _step(self, batch: Batch) -> tuple[Losses, StepReport]:
        """DDI if due, one optimizer update, and its report."""
        if self.step == 0 and self.ddi_pending:
            self._data_dependent_init(batch)
        lr = float(self.optimizer.param_groups[0]["lr"])
        losses, applied = self._optimize(batch)
        if applied:
            self.step += 1
        report = StepReport(
            self.step, self.cfg.max_steps, float(losses.total.detach()),
            float(losses.mle.detach()), float(losses.duration.detach()), lr,
            self._rate.tick(), skipped=not applied,
        )  # fmt: skip
        return losses, report

    def _after_step(self, report: StepReport, batches_done: int) -> None:
        if report.skipped:
            return
        step = self.step
        # The first and last steps too: a short run still has its metrics.jsonl (documented).
        if step % self.cfg.log_every == 0 or step == 1 or step >= self.cfg.max_steps:
            self.log.scalars(
                step,
                {"loss": report.loss, "mle": report.loss_mle, "duration": report.loss_duration,
                 "lr": report.learning_rate, "steps_per_second": report.steps_per_second},
            )  # fmt: skip
        best = False
        scored, sampled = step % self.cfg.eval_every == 0, step % self.cfg.sample_every == 0
        if scored or sampled:
            values = self.evaluate(media=sampled)
            if scored and values is not None:
                best = self._record_val(values)
        if step % self.cfg.checkpoint_every == 0 or best:
            self._save(batches_done, best=best)
