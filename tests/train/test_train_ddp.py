"""DistributedDataParallel on CPU (gloo): two processes equal one process on the combined batch."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from glowtts_cli.data.dataset import Sample, collate
from glowtts_cli.data.prepare import PreparedDataset
from tests.train.ddp_worker import EQUAL_CONFIG
from tests.train.train_helpers import (
    DURATIONS,
    assert_same_parameters,
    make_trainer,
    tone_dataset,
    without_dropout,
)
from tests.train.train_synthetic import tone_patterns, tone_samples, write_prepared

WORKER = Path(__file__).with_name("ddp_worker.py")

pytestmark = pytest.mark.slow


def _equal_halves() -> list[Sample]:
    """Clips a, b, c, d of unequal lengths where (a, b) and (c, d) hold as many tokens and as
    many frames (all even, so the n_sqz=2 trim drops none): then the mean of the two halves'
    losses is the loss of the whole batch, and DDP's mean gradient is its gradient."""
    clips = tone_samples(
        24, patterns=tone_patterns(len(DURATIONS) - 1, 16), durations=DURATIONS,
        lengths=(3, 7), seed=5,
    )  # fmt: skip
    size = {id(c): (int(c.x.shape[0]), int(c.y.shape[1])) for c in clips}
    for a, b, c, d in itertools.permutations(clips, 4):
        (ta, fa), (tb, fb), (tc, fc), (td, fd) = (size[id(s)] for s in (a, b, c, d))
        if (ta + tb, fa + fb) == (tc + td, fc + fd) and len({fa, fb, fc, fd}) == 4:
            return [a, b, c, d]
    raise AssertionError("no equal-sized halves among the candidate clips")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Results = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Results]:
    """Run the two worker processes once: their folder and results per scenario, by rank."""
    work = tmp_path_factory.mktemp("ddp")
    write_prepared(work / "equal", _equal_halves())
    tone_dataset(work / "scratch", 8, seed=3)
    tone_dataset(work / "resume", 8, 2, seed=3)
    env = {**os.environ, "PYTHONPATH": str(WORKER.parents[2]), "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2"}  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(work)],
            env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=300))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return work, {
        name: [torch.load(work / "out" / f"{name}_rank{r}.pt") for r in range(2)]
        for name in ("equal", "scratch", "resume")
    }


def test_two_processes_equal_one_process_on_the_combined_batch(
    ddp_run: tuple[Path, Results], tmp_path: Path
) -> None:
    work, results = ddp_run
    ranks = results["equal"]
    single = make_trainer(
        tmp_path, PreparedDataset.read(work / "equal"), EQUAL_CONFIG, from_scratch=False
    )
    without_dropout(single.raw)
    batch = collate([single.train_set[i] for i in range(4)])
    losses, applied = single._optimize(batch)
    assert applied and all(r["applied"] for r in ranks)
    for key, value in (("loss", losses.total), ("mle", losses.mle), ("duration", losses.duration)):
        mean = (ranks[0][key] + ranks[1][key]) / 2
        assert ranks[0][key] != ranks[1][key]  # the halves really differ
        assert mean == pytest.approx(float(value.detach()), rel=1e-5, abs=1e-6), key
    grads = {n: p.grad for n, p in single.raw.named_parameters() if p.grad is not None}
    assert ranks[0]["grads"].keys() == grads.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(ranks[0]["grads"][name], grad, rtol=1e-4, atol=1e-6)
    assert_same_parameters(ranks[0]["params"], ranks[1]["params"])
    for name, param in single.raw.named_parameters():
        torch.testing.assert_close(ranks[0]["params"][name], param.detach(), rtol=0, atol=1e-6)


def test_data_dependent_init_leaves_every_process_with_the_same_model(
    ddp_run: tuple[Path, Results],
) -> None:
    ranks = ddp_run[1]["scratch"]
    assert ranks[0]["step"] == ranks[1]["step"] == 2
    assert_same_parameters(ranks[0]["params"], ranks[1]["params"])


def test_a_resumed_ddp_run_equals_one_run(ddp_run: tuple[Path, Results]) -> None:
    for rank in ddp_run[1]["resume"]:
        assert rank["resumed_at"] == 3
        assert_same_parameters(rank["resumed"], rank["whole"])
