"""Benchmark: fine-tune the bundled voice (en-us-slt, female) on a voice it never heard.

The new voice is Festival flite's ``rms`` (male US English), rendered offline from the
sentences in ``benchmarks/finetune_sentences.txt`` (written for this benchmark, none from the
default voice's corpus). Its first forty sentences are held out: never trained on, spoken by
the base and the fine-tuned voice, and scored with Whisper base (word error rate) and
Resemblyzer (speaker similarity to flite's own recordings of those sentences). Cases
train on the next 8 (~30 s), 24 (~2 min) or all 132 (~10 min) clips; each case prints wall
time, steps done (early stopping may end a run sooner), the best held-out step, and WER and
similarity before and after.

Run: ``python benchmarks/finetune.py [--cases 30s 2min 10min] [--steps 200] [--threads 1]
[--work runs/bench-finetune]``; extra ``--lr``, ``--batch-size``, ``--freeze``, ``--align-band``,
``--patience`` and ``--seed`` try other settings than the defaults (``--tag`` keeps their runs
apart); ``--score VOICE... [--noise-scale N] [--speaker S] [--mos]`` only scores voice folders
(``--mos``: DistillMOS too, as the default-voice recipe loads it). Needs flite and the ``eval``
extra.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "finetune_sentences.txt"
BASE_VOICE = HERE.parent / "voices" / "en-us-slt"
RECIPE = HERE.parent / "recipes" / "default_voice"
HELD_OUT = 40
CASES = {"15s": 4, "30s": 8, "1min": 12, "2min": 24, "10min": 132}
"""Case name -> training clips."""


@dataclass(frozen=True)
class Outcome:
    """One fine-tune, measured."""

    case: str
    clips: int
    seconds: float
    steps: int
    best_step: int | None
    wall_s: float
    wer: float
    similarity: float
    settings: str


def sentences() -> list[str]:
    lines = SENTENCES.read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def render(work: Path) -> list[Path]:
    """Every sentence spoken by flite ``rms`` (cached: rendered once)."""
    folder = work / "rms"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(sentences()):
        path = folder / f"rms{i:03d}.wav"
        if not path.exists():
            tmp = path.with_suffix(".part.wav")
            subprocess.run(["flite", "-voice", "rms", "-t", text, "-o", str(tmp)], check=True)
            os.replace(tmp, path)
        paths.append(path)
    return paths


def dataset(work: Path, name: str, clips: list[Path], texts: list[str]) -> Path:
    """An LJSpeech-layout folder with these clips."""
    root = work / "data" / name
    if root.exists():
        shutil.rmtree(root)
    (root / "wavs").mkdir(parents=True)
    lines = []
    for path, text in zip(clips, texts, strict=True):
        shutil.copyfile(path, root / "wavs" / path.name)
        lines.append(f"{path.stem}|{text}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {"max_steps": args.steps}
    if args.lr is not None:
        found["learning_rate"] = args.lr
    if args.freeze is not None:
        found["freeze"] = tuple(p for p in args.freeze.split(",") if p)
    if args.patience is not None:
        found["patience"] = args.patience
    if args.align_band is not None:
        found["align_band"] = args.align_band
    if args.batch_size is not None:
        found["batch_size"] = args.batch_size
    if args.seed is not None:
        found["seed"] = args.seed
    return found


def fine_tune(work: Path, case: str, data: Path, args: argparse.Namespace) -> tuple[Path, Any]:
    from glowtts_cli.train.acoustic import finetune

    run_dir = work / "runs" / f"{case}{args.tag}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    result, voice_dir = finetune(
        data, str(BASE_VOICE), run_dir, device=torch.device("cpu"), overrides=overrides(args),
        allow_little_data=args.allow_little_data,
    )  # fmt: skip
    assert voice_dir is not None
    return voice_dir, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", default=["30s", "2min"], choices=list(CASES))
    parser.add_argument("--steps", type=int, default=200, help="most optimizer steps per case")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("runs/bench-finetune"))
    parser.add_argument("--lr", type=float, help="learning rate (default: finetune's)")
    parser.add_argument("--freeze", help="comma-separated parts to freeze, '' for none")
    parser.add_argument("--patience", type=int, help="early-stopping patience (0 = off)")
    parser.add_argument("--align-band", type=int, help="alignment band in frames (0 = off)")
    parser.add_argument("--batch-size", type=int, help="clips per step (default: finetune's)")
    parser.add_argument("--seed", type=int, help="training seed (default: finetune's)")
    parser.add_argument("--tag", default="", help="suffix of the run folders")
    parser.add_argument("--allow-little-data", action="store_true")
    parser.add_argument("--score", type=Path, nargs="+", help="only score these voice folders")
    parser.add_argument("--noise-scale", type=float, help="for --score (default: the voice's)")
    parser.add_argument("--speaker", help="for --score: the speaker of a multi-speaker voice")
    parser.add_argument("--mos", action="store_true", help="for --score: DistillMOS too "
                        "(pip install -r recipes/default_voice/requirements.txt)")  # fmt: skip
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    from glowtts_cli.api import Voice
    from glowtts_cli.errors import GlowTTSError
    from glowtts_cli.train.voice_metrics import HeldOut, Judges, score_voice

    texts, clips = sentences(), render(args.work)
    held_out = [HeldOut(t, p) for t, p in zip(texts[:HELD_OUT], clips[:HELD_OUT], strict=True)]
    judges = Judges(threads=args.threads)
    reference = judges.speaker([_load(h.audio) for h in held_out])
    base = _base_score(args, held_out, judges, reference)
    print(f"base voice en-us-slt: WER {base.wer:.1f} %, similarity {base.similarity:.3f}")
    mos = _mos_judge() if args.mos else None
    if mos is not None:
        recorded = _mean(mos(*_load(h.audio)) for h in held_out)
        print(f"DistillMOS of the speaker's recordings: {recorded:.3f}")
    for folder in args.score or []:
        voice = Voice.load(folder, device="cpu", threads=args.threads)
        scores: list[float] = []
        got = score_voice(voice, held_out, judges, reference=reference,
                          noise_scale=args.noise_scale, speaker=args.speaker,
                          on_spoken=None if mos is None else
                          lambda w, r, into=scores: into.append(mos(w, r)))  # fmt: skip
        quality = f", DistillMOS {_mean(scores):.3f}" if scores else ""
        print(f"{folder} (noise scale {args.noise_scale or voice.cfg.inference.noise_scale}): "
              f"WER {got.wer:.1f} %, similarity {got.similarity:.3f}{quality}")  # fmt: skip
        print(f"heard {list(got.heard)}", flush=True)
    if args.score:
        return 0
    outcomes = []
    for case in args.cases:
        n = CASES[case]
        picked = slice(HELD_OUT, HELD_OUT + n)
        data = dataset(args.work, f"{case}{args.tag}", clips[picked], texts[picked])
        from glowtts_cli.train.plan import audio_seconds

        seconds = audio_seconds(data)
        start = time.monotonic()
        try:
            voice_dir, result = fine_tune(args.work, case, data, args)
        except GlowTTSError as e:
            print(f"{case}: {n} clips, {seconds:.0f} s: refused: {e.message} ({e.hint})")
            continue
        wall = time.monotonic() - start
        tuned_voice = Voice.load(voice_dir, device="cpu", threads=args.threads)
        tuned = score_voice(tuned_voice, held_out, judges,
                            reference=reference)  # fmt: skip
        settings = ", ".join(f"{k}={v}" for k, v in sorted(overrides(args).items()))
        outcomes.append(Outcome(case, n, seconds, result.step, result.best_step, wall,
                                tuned.wer, tuned.similarity, settings))  # fmt: skip
        curve = " ".join(f"{s}:{v:.3f}" for s, v in result.val_history)
        print(f"{case}: held-out {result.val_metric} {curve}", flush=True)
        print(f"{case}: heard {list(tuned.heard)}", flush=True)
        print(_row(outcomes[-1], base.wer, base.similarity), flush=True)
    print("\n| data | clips | steps (best) | wall | WER before → after | similarity before → after "
          "| settings |\n|---|---:|---:|---:|---:|---:|---|")  # fmt: skip
    for o in outcomes:
        print(_row(o, base.wer, base.similarity))
    return 0


def _base_score(args: argparse.Namespace, held_out: list[Any], judges: Any, reference: Any) -> Any:
    """The base voice's score (cached in the work folder: it does not change)."""
    from glowtts_cli.api import Voice
    from glowtts_cli.train.voice_metrics import VoiceScore, score_voice

    cache = args.work / "base_score.json"
    if cache.is_file():
        data = json.loads(cache.read_text("utf-8"))
        return VoiceScore(data["wer"], data["similarity"], tuple(data["heard"]))
    voice = Voice.load(BASE_VOICE, device="cpu", threads=args.threads)
    score = score_voice(voice, held_out, judges, reference=reference)
    cache.write_text(json.dumps(dataclasses.asdict(score)), "utf-8")
    return score


def _mos_judge() -> Any:
    """DistillMOS as the default-voice recipe loads it: ``(samples, rate) -> MOS``."""
    import importlib.util

    # Loaded by path: a module named ``evaluate`` may already be installed or imported.
    spec = importlib.util.spec_from_file_location("default_voice_evaluate", RECIPE / "evaluate.py")
    assert spec is not None and spec.loader is not None
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)  # its requirements.txt installs distillmos
    model = evaluate.mos_model()
    return lambda samples, rate: evaluate.predict_mos(model, samples, rate)


def _mean(values: Any) -> float:
    found = list(values)
    return sum(found) / len(found)


def _load(path: Path) -> tuple[Any, int]:
    from glowtts_cli.audio.io import load

    return load(path, 16000), 16000


def _row(o: Outcome, base_wer: float, base_similarity: float) -> str:
    return (
        f"| {o.case} ({o.seconds:.0f} s) | {o.clips} | {o.steps} ({o.best_step}) "
        f"| {o.wall_s / 60:.1f} min | {base_wer:.1f} → {o.wer:.1f} % "
        f"| {base_similarity:.3f} → {o.similarity:.3f} | {o.settings} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
