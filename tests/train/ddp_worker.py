"""One process of the DDP test (``RANK``/``WORLD_SIZE``/``MASTER_*`` set as torchrun sets them).

``python ddp_worker.py WORK_DIR``: WORK_DIR holds the prepared datasets the test wrote
(``equal/``, ``scratch/``, ``resume/``); results go to ``WORK_DIR/out/<scenario>_rank<r>.pt``.

* ``equal``: one Trainer update of the DDP-wrapped model on this rank's half of a batch
  (rank r takes clips 2r and 2r+1): losses, averaged gradients and updated parameters.
* ``scratch``: 2 steps from scratch with DDI (each rank's first batch differs): parameters.
* ``resume``: 6 steps in one go, and 3 steps + a resumed run to 6: both parameter sets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.distributed as dist

from glowtts_cli.data.dataset import collate
from glowtts_cli.data.prepare import PreparedDataset
from glowtts_cli.train import distributed
from glowtts_cli.train.loop import Trainer
from tests.train.train_helpers import (
    make_trainer,
    parameters,
    quiet,
    resume_config,
    small_model,
    without_dropout,
)

EQUAL_CONFIG = quiet(max_steps=1, batch_size=2, ddi=False, eps=1e-6)
"""The update both the DDP processes and the single-process reference make.

Adam's eps is raised from 1e-9: the attention key biases get gradients that are zero in exact
arithmetic (softmax ignores a shift shared by all keys) and ~1e-10 of rounding noise in practice,
which Adam's first step ``lr * g / (|g| + eps)`` would blow up to the size of the learning rate
in either direction, so the two runs would differ there by their rounding noise alone."""


def _ddp_trainer(run_dir: Path, data: Path, train: object, **kwargs: object) -> Trainer:
    info = distributed.from_environment()
    return make_trainer(
        run_dir,
        PreparedDataset.read(data),
        train,
        dist=info,
        **kwargs,  # type: ignore[arg-type]
    )


def equal(work: Path, rank: int) -> dict[str, object]:
    trainer = _ddp_trainer(work / "runs" / f"equal{rank}", work / "equal", EQUAL_CONFIG,
                           from_scratch=False)  # fmt: skip
    without_dropout(trainer.raw)
    batch = collate([trainer.train_set[i] for i in (2 * rank, 2 * rank + 1)])
    losses, applied = trainer._optimize(batch)
    grads = {n: p.grad.clone() for n, p in trainer.raw.named_parameters() if p.grad is not None}
    return {
        "applied": applied,
        "loss": float(losses.total), "mle": float(losses.mle), "duration": float(losses.duration),
        "grads": grads,
        "params": parameters(trainer.raw),
    }  # fmt: skip


def scratch(work: Path, rank: int) -> dict[str, object]:
    trainer = _ddp_trainer(work / "runs" / "scratch", work / "scratch", quiet(max_steps=2))
    trainer.run()
    return {"params": parameters(trainer.raw), "step": trainer.step}


def resume(work: Path, rank: int) -> dict[str, object]:
    model = small_model(dropout=0.1)
    whole = _ddp_trainer(work / "runs" / "whole", work / "resume", resume_config(6), model=model)
    whole.run()
    first = _ddp_trainer(work / "runs" / "split", work / "resume", resume_config(3), model=model)
    first.run()
    dist.barrier()  # rank 0 has written the checkpoint the others resume from
    second = _ddp_trainer(work / "runs" / "split", work / "resume", resume_config(6), model=model)
    resumed = second.resume_if_possible()
    resumed_at = second.step if resumed else -1
    second.run()
    return {"whole": parameters(whole.raw), "resumed": parameters(second.raw),
            "resumed_at": resumed_at}  # fmt: skip


def main() -> int:
    work = Path(sys.argv[1])
    torch.set_num_threads(1)
    info = distributed.from_environment()
    distributed.init_process_group(info, torch.device("cpu"))
    (work / "out").mkdir(exist_ok=True)
    for name, scenario in (("equal", equal), ("scratch", scratch), ("resume", resume)):
        torch.save(scenario(work, info.rank), work / "out" / f"{name}_rank{info.rank}.pt")
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
