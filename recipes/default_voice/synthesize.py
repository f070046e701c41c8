"""Render the corpus with an offline teacher voice into an LJSpeech-layout dataset.

    python recipes/default_voice/synthesize.py [--voice slt|rms] [--jobs 1] [--batch 50]

Writes ``data/<voice>/wavs/<id>.wav`` (22050 Hz, mono, 16-bit) and ``data/<voice>/metadata.csv``
(``id|text``). Sentences are rendered test first, then val, then train. Each WAV is written to a
temporary name and renamed, so an interrupted run leaves no partial files: run the same command
again and it continues with the ids that have no WAV yet.

Teachers: ``slt`` is Festival's ``cmu_us_slt_arctic_hts`` (female US English, 32 kHz), run as one
Festival process per batch of sentences because each start costs ~0.4 s; ``rms`` is Flite's
``rms`` (male US English, 16 kHz), one cheap Flite call per sentence.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

HERE = Path(__file__).resolve().parent
SAMPLE_RATE = 22050
"""Sample rate of the written dataset (the project's default AudioConfig)."""
SPLITS = ("test", "val", "train")
"""Rendering order: the held-out sets first, so evaluation can start early."""

Renderer = Callable[[list[tuple[str, str]], Path], None]


def read_corpus(corpus_dir: Path, splits: tuple[str, ...] = SPLITS) -> list[tuple[str, str]]:
    """``(id, text)`` pairs of the given splits, in split order."""
    items: list[tuple[str, str]] = []
    for split in splits:
        path = corpus_dir / f"{split}.txt"
        if not path.is_file():  # a test-only corpus such as corpus/everyday
            continue
        for line in path.read_text("utf-8").splitlines():
            utt_id, text = line.split("|", 1)
            items.append((utt_id, text))
    return items


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_festival(batch: list[tuple[str, str]], tmp: Path) -> None:
    """One Festival process renders the batch to ``tmp/<id>.wav``; a failing item is skipped."""
    # `Utterance` does not evaluate its arguments, so each sentence is written out as a literal.
    lines = ["(voice_cmu_us_slt_arctic_hts)"]
    for utt_id, text in batch:
        wav = _scheme_string(str(tmp / f"{utt_id}.wav"))
        lines.append(
            f"(unwind-protect (utt.save.wave (utt.synth (Utterance Text {_scheme_string(text)}))"
            f' {wav} \'riff) (format t "FAILED %s\\n" {wav}))'
        )
    script = tmp / "batch.scm"
    script.write_text("\n".join(lines) + "\n", "utf-8")
    # A generous timeout: a healthy batch takes well under a second per sentence.
    subprocess.run(
        ["festival", "-b", str(script)], capture_output=True, timeout=30 + 10 * len(batch)
    )


def render_flite(batch: list[tuple[str, str]], tmp: Path) -> None:
    """Flite's ``rms`` voice, one process per sentence (a Flite start costs ~10 ms)."""
    for utt_id, text in batch:
        subprocess.run(
            ["flite", "-voice", "rms", "-t", text, "-o", str(tmp / f"{utt_id}.wav")],
            capture_output=True,
            timeout=60,
        )


RENDERERS: dict[str, tuple[Renderer, str]] = {
    "slt": (render_festival, "festival"),
    "rms": (render_flite, "flite"),
}
"""Voice name -> (renderer, program it needs)."""


def store(src: Path, dst: Path) -> bool:
    """Resample ``src`` to 22050 Hz mono 16-bit and write it atomically to ``dst``."""
    try:
        audio, rate = sf.read(str(src), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError):
        return False
    mono = audio.mean(axis=1)
    if mono.size < rate // 10 or not np.any(mono):
        return False  # empty or silent output: count as a failure
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="VHQ")
    tmp = dst.with_suffix(".wav.part")
    sf.write(str(tmp), np.clip(mono, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    os.replace(tmp, dst)
    return True


def render_batch(render: Renderer, batch: list[tuple[str, str]], wav_dir: Path) -> list[str]:
    """Render and store one batch; returns the ids that failed."""
    with tempfile.TemporaryDirectory(prefix="render-", dir=wav_dir.parent) as name:
        tmp = Path(name)
        # On a timeout keep whatever the teacher wrote before it hung.
        with contextlib.suppress(subprocess.TimeoutExpired):
            render(batch, tmp)
        return [i for i, _ in batch if not store(tmp / f"{i}.wav", wav_dir / f"{i}.wav")]


def check_corpus(items: list[tuple[str, str]], out: Path) -> None:
    """Refuse to resume into a dataset rendered from a different corpus (ids would mismatch)."""
    digest = hashlib.sha256("".join(f"{i}|{t}\n" for i, t in sorted(items)).encode()).hexdigest()
    stamp = out / "corpus.sha256"
    if stamp.exists() and stamp.read_text().strip() != digest:
        sys.exit(
            f"error: {out} was rendered from another corpus; delete it (or pass another --out) "
            "to render this one"
        )
    stamp.write_text(digest + "\n")


def write_metadata(items: list[tuple[str, str]], out: Path) -> int:
    """Rewrite ``metadata.csv`` (atomically) with every rendered id; returns how many."""
    rows = [f"{i}|{t}\n" for i, t in items if (out / "wavs" / f"{i}.wav").exists()]
    tmp = out / "metadata.csv.part"
    tmp.write_text("".join(rows), "utf-8")
    os.replace(tmp, out / "metadata.csv")
    return len(rows)


def _only(chunk: list[tuple[str, str]], utt_id: str) -> list[tuple[str, str]]:
    return [item for item in chunk if item[0] == utt_id]


def _batches(items: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run(
    voice: str, corpus_dir: Path, out: Path, *, batch: int, jobs: int, limit: int | None
) -> int:
    render, program = RENDERERS[voice]
    if shutil.which(program) is None:
        sys.exit(f"error: {program} not found; run recipes/default_voice/setup.sh")
    wav_dir = out / "wavs"
    wav_dir.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("render-*"):  # temporary folders of an interrupted run
        shutil.rmtree(stale, ignore_errors=True)
    items = read_corpus(corpus_dir)
    check_corpus(items, out)
    failed_file = out / "failed.txt"
    failed = set(failed_file.read_text().split()) if failed_file.exists() else set()
    todo = [(i, t) for i, t in items if i not in failed and not (wav_dir / f"{i}.wav").exists()]
    print(
        f"{voice}: {len(items) - len(todo)} of {len(items)} done or skipped, {len(todo)} to render"
    )
    todo = todo[:limit] if limit is not None else todo
    start, done = time.monotonic(), 0
    pool = ThreadPoolExecutor(max_workers=jobs)
    pending: deque[tuple[list[tuple[str, str]], Future[list[str]]]] = deque()
    batches = _batches(todo, batch)
    try:
        while True:
            # Keep at most `jobs` batches in flight so an interrupt loses little work.
            while len(pending) < jobs and (chunk := next(batches, None)) is not None:
                pending.append((chunk, pool.submit(render_batch, render, chunk, wav_dir)))
            if not pending:
                break
            chunk, future = pending.popleft()
            # Retry a failed item alone once, so one bad sentence cannot sink its neighbours.
            bad = [i for i in future.result() if render_batch(render, _only(chunk, i), wav_dir)]
            if bad:
                failed.update(bad)
                failed_file.write_text("".join(f"{i}\n" for i in sorted(failed)))
            done += len(chunk)
            rate = (time.monotonic() - start) / done
            n = write_metadata(items, out)
            print(
                f"  {done}/{len(todo)} rendered, {n} in metadata.csv, {rate:.3f} s/sentence",
                flush=True,
            )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    write_metadata(items, out)
    if failed:
        print(f"{len(failed)} sentences failed (listed in {failed_file}; delete it to retry)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--voice", choices=sorted(RENDERERS), default="slt")
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus")
    parser.add_argument("--out", type=Path, help="dataset folder (default data/<voice>)")
    parser.add_argument("--batch", type=int, default=50, help="sentences per teacher process")
    parser.add_argument("--jobs", type=int, default=1, help="teacher processes at once (default 1)")
    parser.add_argument("--limit", type=int, help="render at most this many (for timing)")
    args = parser.parse_args(argv)
    out = args.out or HERE / "data" / args.voice
    return run(args.voice, args.corpus, out, batch=args.batch, jobs=args.jobs, limit=args.limit)


if __name__ == "__main__":
    sys.exit(main())
