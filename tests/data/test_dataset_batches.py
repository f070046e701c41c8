"""Collate shapes and padding; the bucketed sampler is deterministic, complete and resumable."""

from __future__ import annotations

import pytest
import torch

from glowtts_cli.data.dataset import BucketBatchSampler, Sample, collate
from glowtts_cli.errors import DatasetError

LENGTHS = [
    int(n) for n in torch.randint(20, 400, (103,), generator=torch.Generator().manual_seed(0))
]


def test_collate_pads_and_reports_lengths() -> None:
    samples = [
        Sample("a", torch.tensor([3, 4, 5]), torch.full((16, 7), 1.5), 0),
        Sample("b", torch.tensor([6]), torch.full((16, 11), -2.0), 2),
    ]
    batch = collate(samples)
    assert batch.x.shape == (2, 3) and batch.x.dtype == torch.long
    assert batch.y.shape == (2, 16, 11) and batch.y.dtype == torch.float32
    assert batch.x_lengths.tolist() == [3, 1] and batch.y_lengths.tolist() == [7, 11]
    assert batch.x_lengths.dtype == batch.y_lengths.dtype == torch.long
    assert batch.speakers.tolist() == [0, 2] and batch.ids == ("a", "b")
    assert batch.x.tolist() == [[3, 4, 5], [6, 0, 0]]
    assert torch.all(batch.y[0, :, :7] == 1.5) and torch.all(batch.y[0, :, 7:] == 0.0)
    assert torch.all(batch.y[1] == -2.0)
    with pytest.raises(DatasetError):
        collate([])


def test_sampler_is_deterministic_complete_and_bucketed() -> None:
    sampler = BucketBatchSampler(LENGTHS, 8, seed=7)
    sampler.set_epoch(3)
    first = list(sampler)
    again = BucketBatchSampler(LENGTHS, 8, seed=7)
    again.set_epoch(3)
    assert list(again) == first and len(sampler) == len(first) == 13
    assert sorted(i for b in first for i in b) == list(range(len(LENGTHS)))
    assert all(1 <= len(b) <= 8 for b in first)
    sampler.set_epoch(4)
    assert list(sampler) != first
    other_seed = BucketBatchSampler(LENGTHS, 8, seed=8)
    other_seed.set_epoch(3)
    assert list(other_seed) != first

    def padding(batches: list[list[int]]) -> int:
        return sum(
            max(LENGTHS[i] for i in b) * len(b) - sum(LENGTHS[i] for i in b) for b in batches
        )

    unbucketed = BucketBatchSampler(LENGTHS, 8, seed=7, bucket_batches=1)
    assert padding(first) < 0.5 * padding(unbucketed.batches(3))


def test_sampler_resumes_mid_epoch_with_the_same_order() -> None:
    reference = BucketBatchSampler(LENGTHS, 6, seed=1)
    reference.set_epoch(2)
    epoch2 = list(reference)
    reference.set_epoch(3)
    epoch3 = list(reference)

    run = BucketBatchSampler(LENGTHS, 6, seed=1)
    run.set_epoch(2)
    consumed = []
    for batch in run:
        consumed.append(batch)
        if len(consumed) == 5:
            break
    state = run.state_dict(batches_done=5)

    resumed = BucketBatchSampler(LENGTHS, 6, seed=123)  # the seed comes from the state
    resumed.load_state_dict(state)
    rest = list(resumed)
    assert len(resumed) == len(epoch2) - 5
    assert consumed + rest == epoch2
    # A second interruption within the resumed pass counts from the resumed start.
    twice = BucketBatchSampler(LENGTHS, 6)
    twice.load_state_dict(resumed.state_dict(batches_done=2))
    assert list(twice) == epoch2[7:]
    resumed.set_epoch(3)
    assert list(resumed) == epoch3

    with pytest.raises(DatasetError, match="changed since the checkpoint"):
        BucketBatchSampler(LENGTHS[:-1], 6).load_state_dict(state)
    with pytest.raises(DatasetError, match="changed since the checkpoint"):
        BucketBatchSampler(LENGTHS, 5).load_state_dict(state)


def test_sampler_without_shuffle_and_drop_last() -> None:
    ordered = BucketBatchSampler([5] * 10, 4, shuffle=False)
    assert list(ordered) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    dropping = BucketBatchSampler([5] * 10, 4, shuffle=False, drop_last=True)
    assert list(dropping) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dropping) == 2
    shuffled = BucketBatchSampler(list(range(10)), 4, drop_last=True, seed=3)
    assert all(len(b) == 4 for b in shuffled) and len(list(shuffled)) == 2
    with pytest.raises(DatasetError):
        BucketBatchSampler([1], 0)
