"""Vocoder speed on the CPU: real-time factor and streaming time to first chunk.

    python benchmarks/vocoder.py [--seconds 5] [--threads 1,2] [--repeats 3]

Real-time factor (RTF) = seconds of compute / seconds of audio (below 1 is faster than real time).
V1 uses the real bundled UNIVERSAL weights; V2, V3 and the Vocos presets random weights of their
sizes (speed does not depend on the values); Griffin-Lim runs its configured 32 iterations. The last
column is V1's time divided by each vocoder's at the same thread count. The mel comes from a
synthetic 5 s signal through the package's own MelSpectrogram. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from glowtts_cli.audio.mel import MelSpectrogram
from glowtts_cli.config import AudioConfig, HiFiGANConfig, VocoderConfig, VocosConfig
from glowtts_cli.threads import physical_cores, set_inference_threads
from glowtts_cli.vocoder import Vocoder, load_bundled, stream_vocode
from glowtts_cli.vocoder.griffin_lim import GriffinLim
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.vocos import VocosGenerator


def synthetic_mel(audio: AudioConfig, seconds: float) -> torch.Tensor:
    """Log-mel [1, M, T_y] of a speech-like test signal: a gliding harmonic tone plus noise."""
    rate = audio.sample_rate
    t = np.arange(int(seconds * rate)) / rate
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    wav = sum(0.3 / k * np.sin(k * phase) for k in range(1, 12))
    wav = wav * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)) + 0.003 * np.random.default_rng(
        0
    ).standard_normal(t.size)
    with torch.inference_mode():
        return MelSpectrogram(audio)(torch.from_numpy(wav.astype(np.float32)))


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_chunk_seconds(
    vocoder: Vocoder, mel: torch.Tensor, first: int, chunk: int
) -> tuple[float, float]:
    """(time to the first streamed piece, time for all pieces)."""
    start = time.perf_counter()
    pieces = stream_vocode(vocoder, mel, chunk_frames=chunk, first_chunk_frames=first)
    next(pieces)
    first_t = time.perf_counter() - start
    for _ in pieces:
        pass
    return first_t, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--first-chunk", type=int, default=16, help="frames in the first streamed piece"
    )
    parser.add_argument("--chunk", type=int, default=64, help="frames in later streamed pieces")
    args = parser.parse_args()

    audio = AudioConfig()
    mel = synthetic_mel(audio, args.seconds)
    audio_s = mel.shape[-1] * audio.hop_length / audio.sample_rate
    vocoders: dict[str, Vocoder] = {
        "HiFi-GAN V1 (UNIVERSAL weights)": load_bundled("universal"),
        "HiFi-GAN V2 (random weights)": HiFiGANGenerator(HiFiGANConfig.v2()).eval(),
        "HiFi-GAN V3 (random weights)": HiFiGANGenerator(HiFiGANConfig.v3()).eval(),
        "Griffin-Lim (32 iterations)": GriffinLim(
            audio, n_iter=VocoderConfig().griffin_lim_iters
        ).eval(),
        "Vocos base (13.5 M, random weights)": VocosGenerator(VocosConfig.base(audio)).eval(),
        "Vocos small (2.8 M, random weights)": VocosGenerator(VocosConfig.small(audio)).eval(),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"{physical_cores()} physical cores, torch {torch.__version__}, "
        f"load average {load:.2f} at start; {audio_s:.2f} s of audio ({mel.shape[-1]} frames)"
    )
    print("| vocoder | threads | seconds | RTF | first chunk s | streamed total s | vs V1 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in args.threads.split(",")):
        set_inference_threads(n)
        v1_seconds = None
        for name, vocoder in vocoders.items():
            seconds = median_seconds(lambda v=vocoder: v.vocode(mel), args.repeats)
            v1_seconds = v1_seconds or seconds  # V1 is the first row
            first, total = first_chunk_seconds(vocoder, mel, args.first_chunk, args.chunk)
            rtf = seconds / audio_s
            row = (
                f"| {name} | {n} | {seconds:.3f} | {rtf:.3f} | {first:.3f} | {total:.3f} "
                f"| {v1_seconds / seconds:.1f}x |"
            )
            print(row, flush=True)


if __name__ == "__main__":
    main()
