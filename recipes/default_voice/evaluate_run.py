"""Evaluate a training run every N steps while it trains: export, WER + DistillMOS, one table.

    python recipes/default_voice/evaluate_run.py --run ~/glowtts-runs/slt --every 2000 [--once]

Polls the run's checkpoints; each time the newest one has passed the next multiple of
``--every`` steps, exports it (``glowtts export --which last``) to ``RUN/evaluations/step_N``
and scores it with ``evaluate.py --systems voice`` on the held-out split(s), appending one JSON
line per split to ``RUN/evaluations.jsonl``. Steps already in that file are not evaluated again,
so the command can be stopped and started at any time. ``--table`` prints the Markdown table of
everything evaluated so far (the recipe README's table). Shipping is a separate, deliberate
step (``ship.py``): weights are shipped only when WER and DistillMOS both improve on what ships.
Runs with one thread at low priority (``nice``), beside the training it watches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def newest_step(run: Path) -> int | None:
    """The step of the newest resumable checkpoint (``checkpoints/step_N.pt``), if any."""
    steps = [
        int(p.stem.split("_", 1)[1])
        for p in (run / "checkpoints").glob("step_*.pt")
        if p.stem.split("_", 1)[1].isdigit()
    ]
    return max(steps) if steps else None


def evaluated(log: Path) -> set[int]:
    if not log.is_file():
        return set()
    return {json.loads(line)["step"] for line in log.read_text("utf-8").splitlines() if line}


def export_last(run: Path, out: Path) -> int:
    """Export the newest checkpoint to ``out``; returns the step it holds."""
    subprocess.run(
        ["glowtts", "export", str(run), "--out", str(out), "--which", "last"], check=True
    )
    config = json.loads((out / "config.json").read_text("utf-8"))
    return int(config["training"]["steps"])


def evaluate(voice: Path, split: str, vocoder: str | None, threads: int) -> dict[str, float]:
    results = HERE / "data" / "eval" / f".run-{os.getpid()}.jsonl"
    results.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / "evaluate.py"), "--voice", str(voice), "--systems", "voice",
           "--split", split, "--threads", str(threads), "--json", str(results)]  # fmt: skip
    if vocoder:
        cmd += ["--vocoder", vocoder]
    subprocess.run(cmd, check=True)
    row = json.loads(results.read_text("utf-8").splitlines()[-1])
    results.unlink()
    return dict(row["results"]["voice"])


def table(log: Path) -> str:
    rows = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line]
    splits = sorted({s for r in rows for s in r["scores"]})
    head = "| step | " + " | ".join(f"{s} WER % | {s} DistillMOS" for s in splits) + " |"
    lines = [head, "|---:|" + "---:|---:|" * len(splits)]
    for r in sorted(rows, key=lambda r: r["step"]):
        cells = []
        for s in splits:
            score = r["scores"].get(s)
            cells += [f"{score['wer']:.2f}", f"{score['distillmos']:.3f}"] if score else ["", ""]
        lines.append(f"| {r['step']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--run", type=Path, required=True, help="the training run folder")
    parser.add_argument("--every", type=int, default=2000, help="evaluate every N steps")
    parser.add_argument("--splits", nargs="+", default=["test"], help="test, val, everyday")
    parser.add_argument("--vocoder", help="vocoder override for the voice (default: its own)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--once", action="store_true", help="evaluate the newest step and stop")
    parser.add_argument("--table", action="store_true", help="print the table and stop")
    args = parser.parse_args(argv)
    log = args.run / "evaluations.jsonl"
    if args.table:
        print(table(log))
        return 0
    os.nice(10)
    while True:
        step = newest_step(args.run)
        done = evaluated(log)
        next_due = (max(done) // args.every + 1) * args.every if done else 0
        if step is not None and step not in done and (args.once or step >= next_due):
            out = args.run / "evaluations" / f"step_{step}"
            exported = export_last(args.run, out)
            scores = {s: evaluate(out, s, args.vocoder, args.threads) for s in args.splits}
            row = {"step": exported, "vocoder": args.vocoder, "scores": scores}
            with log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            print(table(log), flush=True)
        if args.once:
            return 0
        time.sleep(60)


if __name__ == "__main__":
    sys.exit(main())
