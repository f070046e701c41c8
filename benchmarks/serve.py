"""Throughput and latency of ``glowtts serve`` for short texts at 1, 4 and 16 concurrent clients.

    python benchmarks/serve.py [--voice DIR] [--clients 1,4,16] [--requests 24] [--seconds 60]

The server is the real command (``glowtts serve``'s function) in a subprocess on a free
127.0.0.1 port, CPU only; the clients are threads with one keep-alive connection each, posting
short texts to the OpenAI-compatible ``/v1/audio/speech`` (WAV, streamed). Each level stops after
``--requests`` answered requests or ``--seconds``, whichever comes first. Without ``--voice`` a
random-weight voice of the published base size with the bundled HiFi-GAN (UNIVERSAL V1) is written
to a temporary folder: speed does not depend on the weights' values, only the audio lengths do.
Prints a Markdown table: requests/s, latency to first byte and to the last byte (p50/p90/p99).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TEXTS = (
    "Hello, how are you today?",
    "The meeting starts at ten.",
    "Please close the door behind you.",
    "It looks like rain this afternoon.",
    "Thank you for calling.",
    "Turn left at the next corner.",
)
SERVE = [
    sys.executable,
    "-c",
    "import typer; from glowtts_cli.cli.serve import serve; typer.run(serve)",
]


def write_base_voice(folder: Path) -> Path:
    """A base-size Glow-TTS with random weights, paired with the bundled UNIVERSAL HiFi-GAN."""
    import torch

    from glowtts_cli.config import ModelConfig, TextConfig, VocoderConfig, VoiceConfig
    from glowtts_cli.model.glow_tts import GlowTTS
    from glowtts_cli.text.symbols import default_symbols
    from glowtts_cli.voice_folder import export_model_state, save_voice

    text = TextConfig(phonemizer="espeak", language="en-us", symbols=default_symbols("espeak"))
    cfg = VoiceConfig(
        name="bench-base",
        description="Random weights of the base size, for timing only.",
        text=text,
        model=ModelConfig.base(n_vocab=text.n_vocab),
        vocoder=VocoderConfig(kind="hifigan", source="universal"),
    )
    torch.manual_seed(0)
    return save_voice(folder, cfg, export_model_state(GlowTTS(cfg.model)))


def start_server(voice: Path, max_queue: int) -> tuple[subprocess.Popen[bytes], int]:
    """``glowtts serve`` on 127.0.0.1, port chosen by the system; returns (process, port)."""
    args = ["--host", "127.0.0.1", "--port", "0", "--voice", str(voice), "--device", "cpu"]
    process = subprocess.Popen(
        [*SERVE, *args, "--max-queue", str(max_queue)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    ready = re.compile(r"serving .* at http://127\.0\.0\.1:(\d+) ")
    for raw in iter(process.stderr.readline, b""):
        match = ready.search(raw.decode("utf-8", "replace"))
        if match:
            # Keep draining the request log so the pipe never fills up.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, int(match.group(1))
    raise SystemExit("glowtts serve did not start (see the messages above)")


@dataclass
class Level:
    """What one concurrency level measured."""

    clients: int
    first_byte: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    busy: int = 0
    errors: int = 0
    audio_bytes: int = 0
    wall: float = 0.0


def one_request(conn: http.client.HTTPConnection, text: str) -> tuple[int, float, float, int]:
    """POST one text; returns (status, seconds to first byte, seconds to last byte, bytes)."""
    body = json.dumps({"model": "tts-1", "voice": "alloy", "input": text, "response_format": "wav"})
    start = time.perf_counter()
    conn.request("POST", "/v1/audio/speech", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    first = response.read1(65536)
    first_at = time.perf_counter() - start
    data = first + response.read()
    return response.status, first_at, time.perf_counter() - start, len(data)


def run_level(port: int, clients: int, requests: int, seconds: float) -> Level:
    level = Level(clients)
    lock = threading.Lock()
    issued = 0
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        nonlocal issued
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=max(seconds, 60))
        while time.perf_counter() < deadline:
            with lock:
                if issued >= requests:
                    return
                issued += 1
                text = TEXTS[(issued + index) % len(TEXTS)]
            status, first, total, size = one_request(conn, text)
            with lock:
                if status == 200:
                    level.first_byte.append(first)
                    level.total.append(total)
                    level.audio_bytes += size
                elif status == 503:
                    level.busy += 1
                else:
                    level.errors += 1
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.wall = time.perf_counter() - start
    return level


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(levels: list[Level], sample_rate: int) -> None:
    print(f"\nCPU: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs")
    print(
        "\n| clients | ok | 503 | errors | req/s | audio s/s "
        "| first byte p50/p90/p99 (s) | complete p50/p90/p99 (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for lv in levels:
        audio_seconds = lv.audio_bytes / 2 / sample_rate
        fb = "/".join(f"{percentile(lv.first_byte, q):.2f}" for q in (50, 90, 99))
        tot = "/".join(f"{percentile(lv.total, q):.2f}" for q in (50, 90, 99))
        print(
            f"| {lv.clients} | {len(lv.total)} | {lv.busy} | {lv.errors} "
            f"| {len(lv.total) / lv.wall:.2f} | {audio_seconds / lv.wall:.2f} | {fb} | {tot} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", type=Path, help="voice folder (default: base-size random)")
    parser.add_argument("--clients", default="1,4,16", help="concurrency levels")
    parser.add_argument("--requests", type=int, default=24, help="requests per level (max)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time per level (max)")
    parser.add_argument("--max-queue", type=int, default=32, help="the server's --max-queue")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        voice = args.voice or write_base_voice(Path(tmp) / "bench-base")
        config = json.loads((voice / "config.json").read_text("utf-8"))
        process, port = start_server(voice, args.max_queue)
        try:
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for text in TEXTS:  # first-time costs (new input lengths) stay out of the figures
                one_request(warm, text)
            warm.close()
            results = []
            for clients in levels:
                results.append(run_level(port, clients, args.requests, args.seconds))
                print(f"{clients} client(s): done in {results[-1].wall:.1f} s", file=sys.stderr)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"voice: {voice.name}, texts of {min(map(len, TEXTS))}-{max(map(len, TEXTS))} chars")
    report(results, int(config["audio"]["sample_rate"]))


if __name__ == "__main__":
    main()
