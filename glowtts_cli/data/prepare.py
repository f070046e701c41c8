"""Turn a dataset into training features, cached in the run folder and reused until inputs change.

Each clip is loaded as mono at the voice's sample rate (soxr), trimmed of leading and trailing
silence (frame energy within ``trim_top_db`` of the loudest frame, plus a small margin), peak
normalised to 0.95, phonemised by the voice's own :class:`TextFrontend` and turned into a log-mel
by the shared :class:`MelSpectrogram`.

Why peak and not RMS normalisation: HiFi-GAN (and the LJSpeech recipes the base voices come
from) trained on clips scaled to a 0.95 peak, so the vocoder expects mels at those levels; peak
scaling also cannot clip, which an RMS target would on dynamic recordings.

Cache: ``run_dir/prepared/<key>.npz`` (``ids`` int64, ``mel`` float32 ``[M, T_y]``, and with
``keep_audio`` the cleaned ``wav`` float32 ``[S]`` that vocoder training needs) per clip,
where ``key`` hashes the audio file's size and mtime, its path, the transcript, the text and
audio configs and the preparation settings; ``run_dir/prepared/manifest.json`` lists the split.
Every file is written to a temporary name and renamed, so an interrupted run leaves no half
files, and a second run with the same inputs only reads the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glowtts_cli.audio import io as audio_io
from glowtts_cli.config import AudioConfig, TextConfig, to_dict
from glowtts_cli.data import levels
from glowtts_cli.data.issues import ERROR, IssueKind, make_issue
from glowtts_cli.data.manifest import Manifest, Utterance, read_manifest
from glowtts_cli.errors import AudioFormatError, DatasetError, GlowTTSError, Issue, TextError
from glowtts_cli.files import atomic_path, write_json
from glowtts_cli.text.frontend import TextFrontend

PREPARED_DIR = "prepared"
"""Subfolder of the run folder holding the cache."""

MANIFEST_NAME = "manifest.json"
"""The prepared manifest inside :data:`PREPARED_DIR`."""

FORMAT_VERSION = 1
"""Bumped whenever the features or the file layout change; part of every cache key."""

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class PrepareOptions:
    """How clips are cleaned and split."""

    trim_top_db: float = 40.0
    """Leading/trailing frames more than this many dB below the loudest frame are cut."""
    trim_margin_s: float = 0.05
    """Seconds of the cut silence kept at each end."""
    peak: float = 0.95
    """Every clip is scaled to this peak (as HiFi-GAN's training data)."""
    val_fraction: float = 0.05
    """Share of clips held out for validation (at least 1 when there are 2+ clips; 0 = none)."""
    max_val_clips: int = 100
    """Upper bound on validation clips."""
    split_seed: int = 0
    """Seed of the deterministic train/validation split."""
    skip_invalid: bool = False
    """Drop clips that cannot be prepared instead of failing (every drop is reported)."""
    keep_audio: bool = False
    """Also store each cleaned waveform (vocoder training reads audio and mel together)."""


@dataclass(frozen=True)
class PreparedUtterance:
    """One prepared clip as listed in the manifest."""

    id: str
    """Utterance id."""
    file: str
    """Feature file name inside the prepared folder."""
    speaker: int
    """Speaker index into :attr:`PreparedDataset.speakers` (0 for single-speaker data)."""
    n_tokens: int
    """Length of ``ids`` (T_x)."""
    n_frames: int
    """Mel frames (T_y)."""
    text: str
    """The original transcript."""


@dataclass(frozen=True)
class PreparedDataset:
    """The result of :func:`prepare_dataset`: where the features are and how they are split."""

    directory: Path
    """The prepared folder (``run_dir/prepared``)."""
    speakers: tuple[str, ...]
    """Speaker names; index = speaker id. Empty for single-speaker data."""
    train: tuple[PreparedUtterance, ...]
    """Training clips."""
    val: tuple[PreparedUtterance, ...]
    """Validation clips."""
    computed: int = 0
    """Clips whose features were computed by this call."""
    reused: int = 0
    """Clips whose cached features were reused."""
    skipped: tuple[Issue, ...] = field(default_factory=tuple)
    """Why clips were left out (only with ``skip_invalid``)."""

    def split(self, name: str) -> tuple[PreparedUtterance, ...]:
        """``train`` or ``val``."""
        if name not in ("train", "val"):
            raise DatasetError(f"Unknown split '{name}'.", issues=[], hint="Use train or val.")
        return self.train if name == "train" else self.val

    def features(self, utt: PreparedUtterance) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64 ``[T_x]``, mel float32 ``[M, T_y]``) of one clip."""
        ids, mel = self._arrays(utt, "ids", "mel")
        return ids.astype(np.int64), mel.astype(np.float32)

    def waveform(self, utt: PreparedUtterance) -> tuple[np.ndarray, np.ndarray]:
        """(wav float32 ``[S]``, mel float32 ``[M, T_y]``) of a clip prepared with ``keep_audio``;
        mel frame t is centred on samples ``[t * hop, (t + 1) * hop)``."""
        wav, mel = self._arrays(utt, "wav", "mel")
        return wav.astype(np.float32), mel.astype(np.float32)

    def _arrays(self, utt: PreparedUtterance, *names: str) -> list[np.ndarray]:
        path = self.directory / utt.file
        try:
            with np.load(path) as data:
                return [data[name] for name in names]
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise DatasetError(
                f"Prepared features {path} are missing or damaged.",
                issues=[],
                hint="Run `glowtts dataset prepare` again; it recomputes what is missing.",
            ) from e

    @classmethod
    def read(cls, run_dir: str | Path) -> PreparedDataset:
        """Open an already prepared run folder (no checks of the source dataset)."""
        directory = Path(run_dir) / PREPARED_DIR
        try:
            data = json.loads((directory / MANIFEST_NAME).read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise DatasetError(
                f"No prepared dataset in {run_dir}.",
                issues=[],
                hint="Run `glowtts dataset prepare DIR --run RUN_DIR` first.",
            ) from e
        if data.get("format_version") != FORMAT_VERSION:
            raise DatasetError(
                f"The prepared dataset in {run_dir} was written by another version.",
                issues=[],
                hint="Prepare it again.",
            )
        rows = {
            name: tuple(PreparedUtterance(**u) for u in data[name]) for name in ("train", "val")
        }
        return cls(directory, tuple(data["speakers"]), rows["train"], rows["val"])


def prepare_dataset(
    data_dir: str | Path | Manifest,
    run_dir: str | Path,
    *,
    text: TextConfig | None,
    audio: AudioConfig,
    options: PrepareOptions | None = None,
    exclude: Collection[str] = frozenset(),
    on_progress: ProgressFn | None = None,
    frontend: TextFrontend | None = None,
) -> PreparedDataset:
    """Compute (or reuse) features for every clip of a dataset and write the split manifest.

    Args:
        data_dir: the dataset folder (any layout :func:`read_manifest` reads), or its
            manifest already read.
        run_dir: the training run folder; features go to ``run_dir/prepared/``.
        text: the target voice's text front end; its ids are what the model embeds. None
            for audio-only features (vocoder training): no ids, transcripts unused.
        audio: the target voice's audio/mel settings.
        options: cleaning and split settings.
        exclude: utterance ids to leave out, e.g. ``check_dataset(...).bad_ids`` when the
            user chose to skip the clips the checker rejected.
        on_progress: called as ``(done, total)`` after each clip.
        frontend: the front end for ``text`` to use (one that already phonemized the
            transcripts, say); by default a new one.

    Raises:
        DatasetError: with every issue, when the metadata has errors or clips cannot be
            prepared (unless ``options.skip_invalid``), or when no clip is left.
    """
    opts = options or PrepareOptions()
    manifest = data_dir if isinstance(data_dir, Manifest) else read_manifest(data_dir)
    utterances, skipped = _usable(manifest, opts)
    utterances = [u for u in utterances if u.id not in exclude]
    directory = Path(run_dir) / PREPARED_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # the run folder is a file, or cannot be created
        raise DatasetError(
            f"Cannot create {directory}: {(e.strerror or str(e)).lower()}.",
            issues=[],
            hint="Choose a run folder that is a folder, or one that does not exist yet.",
        ) from e
    settings = _settings(text, audio, opts)
    if frontend is None and text is not None:
        frontend = TextFrontend(text)
    work = _Featurizer(frontend, audio, opts)
    speakers = manifest.speakers
    known = _previous_lengths(directory)
    prepared: list[PreparedUtterance] = []
    computed = reused = 0
    for done, utt in enumerate(utterances, start=1):
        try:
            key = _cache_key(utt, manifest.root, settings)
            path = directory / f"{key}.npz"
            n_tokens, n_frames = _cached_lengths(path, known)
            if n_frames:
                reused += 1
            else:
                n_tokens, n_frames = work.write(utt, path)
                computed += 1
        except GlowTTSError as e:
            skipped.append(_prep_issue(utt, e))
        else:
            spk = speakers.index(utt.speaker) if utt.speaker else 0
            prepared.append(PreparedUtterance(utt.id, path.name, spk, n_tokens, n_frames, utt.text))
        if on_progress is not None:
            on_progress(done, len(utterances))
    errors = [i for i in skipped if i.severity == ERROR]
    if (errors and not opts.skip_invalid) or not prepared:
        raise DatasetError(
            f"{len(errors)} clip(s) of {manifest.root} cannot be prepared."
            if prepared
            else f"No usable clips in {manifest.root}.",
            issues=skipped,
            hint="Run `glowtts dataset check DIR` to see every problem"
            + ("" if opts.skip_invalid else ", or pass --skip-invalid to leave those clips out."),
        )
    train, val = _split(prepared, opts)
    result = PreparedDataset(directory, speakers, train, val, computed, reused, tuple(skipped))
    _write_manifest(result, settings)
    _remove_stale(directory, {u.file for u in prepared})
    return result


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


def _usable(manifest: Manifest, opts: PrepareOptions) -> tuple[list[Utterance], list[Issue]]:
    """Utterances free of metadata errors, and the errors (raised unless skipping)."""
    errors = [i for i in manifest.issues if i.severity == ERROR]
    if errors and not opts.skip_invalid:
        raise DatasetError(
            f"The metadata of {manifest.root} has {len(errors)} problem(s).",
            issues=errors,
            hint="Run `glowtts dataset check DIR` for the table, or pass --skip-invalid.",
        )
    bad = {i.where for i in errors}
    return [u for u in manifest.utterances if u.id not in bad], errors


def _settings(text: TextConfig | None, audio: AudioConfig, opts: PrepareOptions) -> dict[str, Any]:
    """Everything besides the clip itself that changes its features."""
    settings: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "text": None if text is None else to_dict(text),
        "audio": to_dict(audio),
        "trim_top_db": opts.trim_top_db,
        "trim_margin_s": opts.trim_margin_s,
        "peak": opts.peak,
    }
    if opts.keep_audio:  # only when set, so the keys of text-and-mel caches stay as they were
        settings["keep_audio"] = True
    return settings


def _cache_key(utt: Utterance, root: Path, settings: dict[str, Any]) -> str:
    """Hash of the clip's file identity (path, size, mtime), transcript and settings."""
    try:
        stat = utt.audio.stat()
    except OSError as e:
        raise AudioFormatError(f"Audio file {utt.audio} cannot be read: {e.strerror}.") from e
    identity = {
        "path": os.path.relpath(utt.audio, root),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "text": utt.text,
        "settings": settings,
    }
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]


def _previous_lengths(directory: Path) -> dict[str, tuple[int, int]]:
    """File name -> (T_x, T_y) from the last manifest, so reuse need not open feature files."""
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text("utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            return {}
        rows = [*data["train"], *data["val"]]
        return {str(r["file"]): (int(r["n_tokens"]), int(r["n_frames"])) for r in rows}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _cached_lengths(path: Path, known: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(T_x, T_y) of a complete cached file, or (0, 0) when it must be (re)computed."""
    if not path.is_file():
        return 0, 0
    if path.name in known:
        return known[path.name]
    try:
        with np.load(path) as data:
            ids, mel = data["ids"], data["mel"]
            return int(ids.shape[0]), int(mel.shape[-1])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return 0, 0


class _Featurizer:
    """Audio and text of one clip -> (ids, mel). Holds the front end and the mel transform."""

    def __init__(
        self, frontend: TextFrontend | None, audio: AudioConfig, opts: PrepareOptions
    ) -> None:
        self.audio = audio
        self.opts = opts
        self.frontend = frontend
        self._mel: Any = None

    def mel(self, wav: np.ndarray) -> np.ndarray:
        # torch is imported here, not at module level: reading and checking datasets stays
        # torch-free, and the one shared MelSpectrogram is a torch module.
        import torch

        from glowtts_cli.audio.mel import MelSpectrogram

        if self._mel is None:
            self._mel = MelSpectrogram(self.audio)
        with torch.inference_mode():
            out = self._mel(torch.from_numpy(wav))  # [1, M, T_y]
        return np.ascontiguousarray(out[0].numpy(), dtype=np.float32)

    def write(self, utt: Utterance, path: Path) -> tuple[int, int]:
        wav = audio_io.load(utt.audio, self.audio.sample_rate)
        wav = levels.trim_silence(
            wav,
            self.audio.sample_rate,
            top_db=self.opts.trim_top_db,
            margin_s=self.opts.trim_margin_s,
        )
        wav = audio_io.peak_normalize(wav, self.opts.peak)
        encoded = [] if self.frontend is None else self.frontend.encode(utt.text)
        ids = np.asarray(encoded, dtype=np.int64)
        wav = np.ascontiguousarray(wav, dtype=np.float32)
        mel = self.mel(wav)
        arrays: dict[str, Any] = {"ids": ids, "mel": mel}
        if self.opts.keep_audio:
            arrays["wav"] = wav
        # No fsync: a feature file lost to a power cut is recomputed from its clip.
        with atomic_path(path, sync=False) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
        return int(ids.size), int(mel.shape[-1])


def _prep_issue(utt: Utterance, error: GlowTTSError) -> Issue:
    if isinstance(error, TextError):
        kind = IssueKind.NOTHING_PRONOUNCEABLE
    elif not utt.audio.exists():
        kind = IssueKind.MISSING_AUDIO
    else:
        kind = IssueKind.CORRUPT_AUDIO
    return make_issue(kind, utt.id, error.message, file=str(utt.audio))


def _split(
    prepared: list[PreparedUtterance], opts: PrepareOptions
) -> tuple[tuple[PreparedUtterance, ...], tuple[PreparedUtterance, ...]]:
    """Deterministic split: rank clips by a hash of (seed, id) and hold out the first few.

    Independent of file order, and adding clips moves few existing ones between the sets.
    """
    n = len(prepared)
    if n < 2 or opts.val_fraction <= 0:
        n_val = 0
    else:
        n_val = min(opts.max_val_clips, max(1, round(n * opts.val_fraction)), n - 1)

    def rank(u: PreparedUtterance) -> str:
        return hashlib.sha256(f"{opts.split_seed}:{u.id}".encode()).hexdigest()

    held = {u.id for u in sorted(prepared, key=rank)[:n_val]}
    train = tuple(u for u in prepared if u.id not in held)
    val = tuple(u for u in prepared if u.id in held)
    return train, val


def _write_manifest(result: PreparedDataset, settings: dict[str, Any]) -> None:
    data = {
        "format_version": FORMAT_VERSION,
        "settings": settings,
        "speakers": list(result.speakers),
        "train": [u.__dict__ for u in result.train],
        "val": [u.__dict__ for u in result.val],
    }
    write_json(result.directory / MANIFEST_NAME, data, ensure_ascii=False)


def _remove_stale(directory: Path, keep: set[str]) -> None:
    """Delete feature files no clip refers to any more (their inputs changed or went away)."""
    for path in directory.glob("*.npz"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
