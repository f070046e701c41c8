"""Training batches from a prepared dataset: the Dataset, padding collate and a bucketed sampler.

Shapes follow the model's legend: token ids ``x`` ``[B, T_x]`` int64, log-mels ``y``
``[B, M, T_y]`` float32, lengths int64 ``[B]``. Padding is 0 in both (the pad id; masked out by
the model). The sampler groups clips of similar length so little padding is computed, and its
order is a pure function of (seed, epoch), so a resumed run sees exactly the same batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from glowtts_cli.errors import DatasetError

if TYPE_CHECKING:
    from glowtts_cli.data.prepare import PreparedDataset


class Sample(NamedTuple):
    """One clip's training features."""

    id: str
    """Utterance id."""
    x: torch.Tensor
    """Token ids ``[T_x]`` int64."""
    y: torch.Tensor
    """Log-mel ``[M, T_y]`` float32."""
    speaker: int
    """Speaker index (0 for single-speaker data)."""


class Batch(NamedTuple):
    """A padded batch, ready for ``GlowTTS.forward_train``."""

    x: torch.Tensor
    """Token ids ``[B, T_x]`` int64, 0-padded."""
    x_lengths: torch.Tensor
    """``[B]`` int64."""
    y: torch.Tensor
    """Log-mels ``[B, M, T_y]`` float32, 0-padded."""
    y_lengths: torch.Tensor
    """``[B]`` int64."""
    speakers: torch.Tensor
    """Speaker indices ``[B]`` int64."""
    ids: tuple[str, ...]
    """Utterance ids, in batch order."""


class TextMelDataset(Dataset[Sample]):
    """The clips of one split of a prepared dataset, read from the feature cache on access.

    It does no preparation itself (see :func:`glowtts_cli.data.prepare.prepare_dataset`) and
    holds no tensors, so it is cheap to copy into DataLoader worker processes.
    """

    def __init__(self, prepared: PreparedDataset, split: str = "train") -> None:
        self.prepared = prepared
        self.utterances = prepared.split(split)

    def __len__(self) -> int:
        return len(self.utterances)

    def __getitem__(self, index: int) -> Sample:
        utt = self.utterances[index]
        ids, mel = self.prepared.features(utt)
        return Sample(utt.id, torch.from_numpy(ids), torch.from_numpy(mel), utt.speaker)

    @property
    def lengths(self) -> list[int]:
        """Mel frames of each clip (for :class:`BucketBatchSampler`), without reading features."""
        return [u.n_frames for u in self.utterances]


def collate(samples: Sequence[Sample]) -> Batch:
    """Pad a list of samples into a :class:`Batch` (order kept)."""
    if not samples:
        raise DatasetError("Cannot collate an empty batch.", issues=[])
    x_lengths = torch.tensor([s.x.shape[0] for s in samples], dtype=torch.long)
    y_lengths = torch.tensor([s.y.shape[1] for s in samples], dtype=torch.long)
    n_mels = samples[0].y.shape[0]
    x = torch.zeros(len(samples), int(x_lengths.max()), dtype=torch.long)  # [B, T_x]
    y = torch.zeros(len(samples), n_mels, int(y_lengths.max()), dtype=torch.float32)  # [B, M, T_y]
    for i, sample in enumerate(samples):
        x[i, : sample.x.shape[0]] = sample.x
        y[i, :, : sample.y.shape[1]] = sample.y
    speakers = torch.tensor([s.speaker for s in samples], dtype=torch.long)
    return Batch(x, x_lengths, y, y_lengths, speakers, tuple(s.id for s in samples))


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar-length clips in an order fixed by (seed, epoch).

    Each epoch shuffles the clips, cuts the shuffled list into buckets of ``bucket_batches``
    batches, sorts each bucket by length and cuts it into batches, then shuffles the batches.
    Without ``shuffle`` (validation) the batches are consecutive clips in dataset order.

    Resuming: save :meth:`state_dict` (passing how many batches of the current pass were used)
    with the checkpoint and call :meth:`load_state_dict` on restart; the next pass then yields
    the rest of that epoch's batches. Count consumed batches in the training loop, not here: a
    DataLoader pre-fetches batches before they are used.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        seed: int = 0,
        shuffle: bool = True,
        drop_last: bool = False,
        bucket_batches: int = 8,
    ) -> None:
        if batch_size < 1 or bucket_batches < 1:
            raise DatasetError(
                f"batch_size ({batch_size}) and bucket_batches ({bucket_batches}) must be >= 1.",
                issues=[],
            )
        self.lengths = [int(n) for n in lengths]
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.bucket_batches = bucket_batches
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, *, start_batch: int = 0) -> None:
        """Choose the epoch the next pass yields, optionally skipping its first batches."""
        self.epoch = epoch
        self.start_batch = start_batch

    def batches(self, epoch: int) -> list[list[int]]:
        """All batches (lists of dataset indices) of one epoch."""
        n = len(self.lengths)
        if not self.shuffle:
            batches = [
                list(range(i, min(i + self.batch_size, n))) for i in range(0, n, self.batch_size)
            ]
        else:
            rng = np.random.default_rng([self.seed, epoch])
            order = rng.permutation(n)
            bucket = self.batch_size * self.bucket_batches
            batches = []
            for start in range(0, n, bucket):
                chunk = sorted(order[start : start + bucket].tolist(), key=self.lengths.__getitem__)
                batches += [
                    chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
                ]
            batches = [batches[i] for i in rng.permutation(len(batches))]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.batches(self.epoch)[self.start_batch :]

    def __len__(self) -> int:
        return max(0, len(self.batches(self.epoch)) - self.start_batch)

    def state_dict(self, batches_done: int = 0) -> dict[str, int | str]:
        """Where to resume: this epoch, after ``batches_done`` batches of the current pass."""
        return {
            "seed": self.seed,
            "epoch": self.epoch,
            "start_batch": self.start_batch + batches_done,
            "batch_size": self.batch_size,
            "lengths": self._fingerprint(),
        }

    def load_state_dict(self, state: dict[str, int | str]) -> None:
        """Resume from :meth:`state_dict`; the data and batch size must be unchanged."""
        if (
            state.get("lengths") != self._fingerprint()
            or state.get("batch_size") != self.batch_size
        ):
            raise DatasetError(
                "The dataset or batch size changed since the checkpoint was saved, so its data "
                "order cannot be resumed.",
                issues=[],
                hint="Resume with the same prepared data and batch size, or start a new run.",
            )
        self.seed = int(state["seed"])
        self.set_epoch(int(state["epoch"]), start_batch=int(state["start_batch"]))

    def _fingerprint(self) -> str:
        return hashlib.sha256(np.asarray(self.lengths, dtype=np.int64).tobytes()).hexdigest()[:16]
