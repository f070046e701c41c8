"""A training process for the interruption test: ``python train_worker.py RUN_DIR MAX_STEPS``.

Trains the resume tests' run (see ``train_helpers.resume_config``) on one thread, printing
``step N`` after each step and then pausing ``--pause`` seconds, so that a signal sent after a
given step arrives while the run is still going. Exits 130 when interrupted, as the CLI does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from glowtts_cli.train.loop import StepReport
from tests.train.train_helpers import make_trainer, resume_config, resume_dataset, small_model


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("max_steps", type=int)
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    trainer = make_trainer(
        args.run_dir,
        resume_dataset(args.run_dir),
        resume_config(args.max_steps),
        model=small_model(dropout=0.1),
    )
    trainer.resume_if_possible()

    def on_step(report: StepReport) -> None:
        print(f"step {report.step}", flush=True)
        time.sleep(args.pause)

    try:
        trainer.run(on_step)
    except KeyboardInterrupt:
        print(f"interrupted at step {trainer.step}", flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
