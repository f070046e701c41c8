"""Benchmark: seconds per training step of the real Trainer (forward + MAS + losses + backward +
clipping + Adam, features read from the prepared cache as in a real run).

Batch: 16 clips of about 5 s (430 mel frames, 80 tokens each, lengths varied by +-10 %),
80 mel bands. Configs ``base`` (the official LJSpeech model) and ``small``; on the CPU with 1
and 2 intra-op threads (set deliberately: on a shared machine more threads than free cores
makes every step several times slower), and on CUDA when there is one (AMP as in training).
The first step (data-dependent init, allocations) is left out; the table gives the median of
the timed steps. Also printed: the CPU load average, since other processes slow the CPU runs.

Run: ``python benchmarks/train.py [--steps 3] [--configs base small] [--threads 1 2]
[--markdown docs/performance.md]`` (``--markdown`` appends the table under "Training").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numba
import numpy as np
import torch

from glowtts_cli.config import ModelConfig, TextConfig, TrainConfig, VoiceConfig
from glowtts_cli.data.prepare import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    PREPARED_DIR,
    PreparedDataset,
)
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.text.symbols import default_symbols
from glowtts_cli.train.loop import StepReport, Trainer

BATCH = 16
FRAMES = 430
TOKENS = 80

COQUI_SIZES = {
    "base": {},  # Coqui's GlowTTSConfig defaults are the official base model
    "small": {"hidden_channels_enc": 128, "hidden_channels_dec": 128, "hidden_channels_dp": 192,
              "num_flow_blocks_dec": 8, "num_block_layers": 3,
              "encoder_params": {"kernel_size": 3, "dropout_p": 0.1, "num_layers": 4,
                                 "num_heads": 2, "hidden_channels_ffn": 512}},
}  # fmt: skip
"""Coqui GlowTTSConfig fields that give the same model sizes as our presets."""

COQUI_STEP = """
import importlib.machinery, json, statistics, sys, time, types
# The newest torchaudio on the index (2.11) cannot load its extension under torch 2.13. Coqui
# imports torchaudio at module level, but the GlowTTS training step never calls it.
fake = types.ModuleType("torchaudio")
fake.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
sys.modules["torchaudio"] = fake
import torch
from TTS.tts.configs.glow_tts_config import GlowTTSConfig
from TTS.tts.layers.losses import GlowTTSLoss
from TTS.tts.models.glow_tts import GlowTTS

a = json.loads(sys.argv[1])
torch.set_num_threads(a["threads"])
torch.manual_seed(0)
model = GlowTTS(GlowTTSConfig(num_chars=a["n_vocab"], **a["sizes"])).train()
x_len, y_len = torch.tensor(a["x_lengths"]), torch.tensor(a["y_lengths"])
# Coqui sizes the embedding from its own default character set, whatever num_chars says.
n_vocab = model.encoder.emb.num_embeddings
x = torch.randint(1, n_vocab, (len(x_len), int(x_len.max())))
y = torch.randn(len(y_len), int(y_len.max()), 80) - 5.0
batch = {"text_input": x, "text_lengths": x_len, "mel_input": y, "mel_lengths": y_len,
         "d_vectors": None, "speaker_ids": None}
criterion = GlowTTSLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
model.run_data_dep_init = True  # first step: data-dependent ActNorm init (untimed)
model.train_step(batch, criterion)
model.run_data_dep_init = False
times = []
for _ in range(a["steps"]):
    start = time.perf_counter()
    optimizer.zero_grad()
    _, losses = model.train_step(batch, criterion)
    losses["loss"].backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), 5.0)
    optimizer.step()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": statistics.median(times),
                  "params": sum(p.numel() for p in model.parameters())}))
"""
"""Times Coqui's GlowTTS on the same batch shape with the same optimizer work (``--coqui``)."""


def batch_lengths(seed: int = 0) -> tuple[list[int], list[int]]:
    """Token and frame counts of the benchmark batch: +-10 % around the targets."""
    rng = np.random.default_rng(seed)
    x = [int(TOKENS * rng.uniform(0.9, 1.1)) for _ in range(BATCH)]
    y = [int(FRAMES * rng.uniform(0.9, 1.1)) for _ in range(BATCH)]
    return x, y


def write_batch(run_dir: Path, n_mels: int, n_vocab: int, seed: int = 0) -> PreparedDataset:
    """One batch of random clips in the prepared-dataset layout (``run_dir/prepared``)."""
    rng = np.random.default_rng(seed)
    folder = run_dir / PREPARED_DIR
    folder.mkdir(parents=True)
    rows = []
    for i, (t_x, t_y) in enumerate(zip(*batch_lengths(seed), strict=True)):
        ids = rng.integers(1, n_vocab, size=t_x)
        mel = (rng.standard_normal((n_mels, t_y)) - 5.0).astype(np.float32)
        np.savez(folder / f"c{i}.npz", ids=ids, mel=mel)
        rows.append({"id": f"c{i}", "file": f"c{i}.npz", "speaker": 0, "n_tokens": t_x,
                     "n_frames": t_y, "text": ""})  # fmt: skip
    manifest = {"format_version": FORMAT_VERSION, "settings": {}, "speakers": [],
                "train": rows, "val": []}  # fmt: skip
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest), "utf-8")
    return PreparedDataset.read(run_dir)


def seconds_per_step(config: str, device: torch.device, steps: int) -> tuple[float, int]:
    """Median seconds of ``steps`` training steps after one untimed step, and the model size."""
    text = TextConfig(phonemizer="espeak", symbols=default_symbols("espeak"), add_blank=True)
    model_cfg = ModelConfig.preset(config, n_vocab=text.n_vocab)
    voice = VoiceConfig(name="bench", text=text, model=model_cfg)
    train = TrainConfig(batch_size=BATCH, max_steps=steps + 1, log_every=10**6,
                        eval_every=10**6, checkpoint_every=10**6)  # fmt: skip
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        prepared = write_batch(run_dir, model_cfg.n_mels, model_cfg.n_vocab)
        torch.manual_seed(0)
        model = GlowTTS(model_cfg)
        n_params = sum(p.numel() for p in model.parameters())
        trainer = Trainer(run_dir=run_dir, voice=voice, train=train, model=model,
                          prepared=prepared, device=device)  # fmt: skip
        last = [time.perf_counter()]

        def on_step(report: StepReport) -> None:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

        trainer.run(on_step)
    return statistics.median(times[1:]), n_params


def coqui_seconds_per_step(python: str, config: str, threads: int, steps: int) -> tuple[float, int]:
    """Median seconds per step of Coqui's GlowTTS, run by ``python`` (a venv with coqui-tts)."""
    x_lengths, y_lengths = batch_lengths()
    n_vocab = TextConfig(symbols=default_symbols("espeak"), add_blank=True).n_vocab
    args = {"threads": threads, "steps": steps, "n_vocab": n_vocab, "sizes": COQUI_SIZES[config],
            "x_lengths": x_lengths, "y_lengths": y_lengths}  # fmt: skip
    done = subprocess.run([python, "-c", COQUI_STEP, json.dumps(args)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"Coqui run failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), int(result["params"])


def measure(args: argparse.Namespace) -> list[tuple[str, str, str, str, float, float]]:
    """Rows (config, implementation, parameters, device, seconds per step, load average)."""
    settings: list[tuple[str, torch.device, int | None]] = [
        ("cpu", torch.device("cpu"), n) for n in args.threads
    ]
    if torch.cuda.is_available():
        settings.append((torch.cuda.get_device_name(0), torch.device("cuda"), None))
    rows = []
    for config in args.configs:
        for name, device, threads in settings:
            runs: list[tuple[str, Callable[[], tuple[float, int]]]] = [
                ("glowtts-cli", partial(seconds_per_step, config, device, args.steps))
            ]
            if threads is not None:
                torch.set_num_threads(threads)
                numba.set_num_threads(threads)  # the alignment search's worker threads
                if args.coqui:
                    coqui = partial(coqui_seconds_per_step, args.coqui, config, threads, args.steps)
                    runs.append(("Coqui TTS", coqui))
            where = f"{name}, {threads} thread{'s' if threads != 1 else ''}" if threads else name
            for impl, run in runs:  # side by side, so that machine load hits both alike
                load = os.getloadavg()[0]
                seconds, n_params = run()
                rows.append((config, impl, f"{n_params / 1e6:.1f} M", where, seconds, load))
                print(f"{config:6s} {impl:12s} {where:24s} {seconds:7.2f} s/step (load {load:.1f})",
                      flush=True)  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per setting")
    parser.add_argument("--configs", nargs="+", default=["base", "small"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--coqui", help="python of a venv with coqui-tts, to time it alongside")
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args()
    rows = measure(args)
    table = [
        "| config | implementation | parameters | device | seconds per step | load average |",
        "|---|---|---|---|---|---|",
        *(f"| {c} | {i} | {p} | {d} | {s:.2f} | {load:.1f} |" for c, i, p, d, s, load in rows),
    ]
    print("\n".join(table))
    if args.markdown is not None:
        cpu = platform.processor() or platform.machine()
        note = (
            f"\nMeasured with `python benchmarks/train.py` (torch {torch.__version__}, {cpu}, "
            f"{os.cpu_count()} cores; batch {BATCH} x ~{FRAMES} frames x ~{TOKENS} tokens; "
            f"median of {args.steps} steps after one untimed step).\n\n"
        )
        with open(args.markdown, "a", encoding="utf-8") as f:
            f.write(note + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
