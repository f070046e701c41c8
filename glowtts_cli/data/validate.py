"""Check a dataset before training and report every problem at once (``glowtts dataset check``).

Metadata problems come from :func:`glowtts_cli.data.manifest.read_manifest`; this module adds
what needs the audio (missing, unreadable or corrupt files, clipping, silence, length), the
speaking rate of each clip against the rest of the dataset, and characters the voice's text
front end cannot read. Nothing stops at the first problem.
"""

from __future__ import annotations

import math
import os
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glowtts_cli.audio import io as audio_io
from glowtts_cli.data import levels
from glowtts_cli.data.issues import ERROR, WARNING, IssueKind, make_issue
from glowtts_cli.data.manifest import Manifest, Utterance, is_regular_file, read_manifest
from glowtts_cli.errors import AudioFormatError, DatasetError, Issue, TextError
from glowtts_cli.text import official
from glowtts_cli.text.frontend import TextFrontend

ProgressFn = Callable[[int, int], None]
"""``on_progress(done, total)``, called after each clip."""

FINETUNE_MIN_SECONDS = 100.0
"""Less audio than this and ``glowtts finetune`` refuses: on a new speaker, 40 s and 60 s made the
bundled voice clearly less intelligible (Whisper WER 3.3 -> 12.0 % and 7.3 %), 115 s kept it at
4.7-5.7 % on four seeds (docs/training.md)."""
FINETUNE_GOOD_SECONDS = 600.0
"""The amount the dataset check recommends (the benchmark's 10-minute case; docs/training.md)."""


@dataclass(frozen=True, kw_only=True)
class CheckThresholds:
    """Limits the checker applies; the defaults suit read speech for TTS."""

    min_duration: float = 0.5
    """Shortest clip in seconds."""
    max_duration: float = 20.0
    """Longest clip in seconds (memory and alignment cost grow with length)."""
    clip_level: float = 0.999
    """A sample at or above this magnitude counts as clipped."""
    max_clipped_fraction: float = 0.001
    """More clipped samples than this fraction (0.1 %) is reported."""
    min_rms_dbfs: float = -50.0
    """Quieter speech (RMS of the trimmed clip) counts as silence."""
    min_peak: float = 0.01
    """A clip whose loudest sample is below this counts as silence."""
    trim_top_db: float = 40.0
    """Speech = frames within this many dB of the loudest frame (used for the speaking rate)."""
    rate_mad_factor: float = 3.0
    """Speaking-rate outlier: farther than this many (scaled) MADs from the median."""
    rate_min_clips: int = 5
    """Fewer clips than this: only the absolute speaking-rate bounds apply (no statistics)."""
    rate_mad_floor: float = 0.1
    """The MAD is taken as at least this fraction of the median rate, so a very uniform or tiny
    dataset does not flag ordinary variation."""
    min_chars_per_second: float = 2.0
    """Absolute lower bound on letters per second of speech."""
    max_chars_per_second: float = 35.0
    """Absolute upper bound on letters per second of speech."""


@dataclass(frozen=True)
class ClipStats:
    """Measurements of one readable clip."""

    id: str
    """Utterance id."""
    sample_rate: int
    """The file's sample rate."""
    channels: int
    """The file's channel count."""
    duration: float
    """Seconds in the file."""
    speech_duration: float
    """Seconds left after trimming leading/trailing silence."""
    letters: int
    """Letters and digits in the (normalised) transcript."""

    @property
    def chars_per_second(self) -> float:
        """Speaking rate: letters per second of speech."""
        return self.letters / self.speech_duration if self.speech_duration > 0 else math.inf


@dataclass(frozen=True)
class DatasetSummary:
    """The headline numbers of a dataset check."""

    layout: str
    """Detected layout."""
    clips: int
    """Utterances declared."""
    usable_clips: int
    """Utterances without any error."""
    hours: float
    """Audio in all readable clips."""
    usable_hours: float
    """Audio in usable clips."""
    speakers: tuple[str, ...]
    """Speaker names (empty for single-speaker data)."""
    sample_rates: tuple[int, ...]
    """Distinct file sample rates."""
    errors: int
    """Issues that stop training."""
    warnings: int
    """Issues only reported."""


@dataclass(frozen=True)
class DatasetReport:
    """Everything a check found: issues (all of them), per-clip stats and a summary."""

    manifest: Manifest
    """What was read."""
    issues: tuple[Issue, ...]
    """Every issue, metadata first, then per clip in dataset order, then dataset-wide ones."""
    clips: tuple[ClipStats, ...]
    """Measurements of the readable clips."""
    summary: DatasetSummary
    """Headline numbers."""
    bad_ids: frozenset[str] = field(default_factory=frozenset)
    """Utterances with at least one error."""

    @property
    def ok(self) -> bool:
        """True when training can go on (warnings allowed)."""
        return self.summary.errors == 0

    def raise_for_errors(self) -> None:
        """Raise :class:`DatasetError` carrying every issue if any is an error."""
        if not self.ok:
            raise DatasetError(
                f"The dataset in {self.manifest.root} has {self.summary.errors} problem(s) "
                "that stop training.",
                issues=list(self.issues),
                hint="Run `glowtts dataset check DIR` for the full table and fix or remove "
                "those clips.",
            )


def check_dataset(
    path: str | Path | Manifest,
    frontend: TextFrontend | None = None,
    *,
    thresholds: CheckThresholds | None = None,
    layout: str | None = None,
    on_progress: ProgressFn | None = None,
    workers: int | None = None,
) -> DatasetReport:
    """Read and check a dataset, collecting every problem.

    Args:
        path: the dataset folder (or its metadata file), or its manifest already read.
        frontend: the target voice's text front end; without it unknown characters are not
            checked and the speaking rate counts raw transcript letters.
        thresholds: limits (defaults: :class:`CheckThresholds`).
        layout: force a layout instead of detecting it.
        on_progress: called as ``(done, total)`` after each clip.
        workers: threads reading audio (default: up to 4). Decoding releases the GIL.

    Raises:
        DatasetError: only when ``path`` holds no dataset at all; every other problem is an
            issue in the report.
    """
    limits = thresholds or CheckThresholds()
    manifest = path if isinstance(path, Manifest) else read_manifest(path, layout=layout)
    total = len(manifest.utterances)
    n_workers = workers or min(4, os.cpu_count() or 1)
    results: list[tuple[ClipStats | None, list[Issue]]] = []

    probe = _TextProbe(frontend) if frontend is not None else None
    # Undecodable bytes were already reported; their U+FFFD stand-ins are not "unknown" too.
    garbled = {i.where for i in manifest.issues if i.details.get("kind") == "non_utf8_transcript"}

    def one(utt: Utterance) -> tuple[ClipStats | None, list[Issue]]:
        return _check_clip(utt, frontend, None if utt.id in garbled else probe, limits)

    with ThreadPoolExecutor(max_workers=max(1, n_workers)) as pool:
        for result in pool.map(one, manifest.utterances):
            results.append(result)
            if on_progress is not None:
                on_progress(len(results), total)
    issues = list(manifest.issues)
    clips = []
    for stats, clip_issues in results:
        issues.extend(clip_issues)
        if stats is not None:
            clips.append(stats)
    issues.extend(_rate_issues(clips, limits))
    bad = {i.where for i in issues if i.severity == ERROR}
    issues.extend(_amount_issues([c for c in clips if c.id not in bad], str(manifest.source)))
    if not manifest.utterances:
        issues.append(
            make_issue(IssueKind.NO_UTTERANCES, str(manifest.source), "no utterances found")
        )
    return _report(manifest, issues, clips)


def _report(manifest: Manifest, issues: list[Issue], clips: list[ClipStats]) -> DatasetReport:
    ids = {u.id for u in manifest.utterances}
    bad = frozenset(i.where for i in issues if i.severity == ERROR and i.where in ids)
    usable = [u for u in manifest.utterances if u.id not in bad]
    usable_ids = {u.id for u in usable}
    errors = sum(1 for i in issues if i.severity == ERROR)
    summary = DatasetSummary(
        layout=manifest.layout,
        clips=len(manifest.utterances),
        usable_clips=len(usable),
        hours=sum(c.duration for c in clips) / 3600.0,
        usable_hours=sum(c.duration for c in clips if c.id in usable_ids) / 3600.0,
        speakers=manifest.speakers,
        sample_rates=tuple(sorted({c.sample_rate for c in clips})),
        errors=errors,
        warnings=len(issues) - errors,
    )
    return DatasetReport(manifest, tuple(issues), tuple(clips), summary, bad)


# --------------------------------------------------------------------------------------------
# One clip
# --------------------------------------------------------------------------------------------


def _check_clip(
    utt: Utterance,
    frontend: TextFrontend | None,
    probe: _TextProbe | None,
    limits: CheckThresholds,
) -> tuple[ClipStats | None, list[Issue]]:
    issues = probe.issues(utt) if probe is not None and utt.text.strip() else []
    audio, info, audio_issue = _read_audio(utt)
    if audio is None or info is None:
        return None, [*issues, *([audio_issue] if audio_issue else [])]
    issues.extend(_level_issues(utt.id, audio, info.sample_rate, limits))
    start, end = levels.speech_bounds(audio, info.sample_rate, top_db=limits.trim_top_db)
    text = frontend.normalize(utt.text) if frontend is not None else utt.text
    stats = ClipStats(
        id=utt.id,
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=audio.size / info.sample_rate,
        speech_duration=(end - start) / info.sample_rate,
        letters=sum(1 for ch in text if ch.isalnum()),
    )
    return stats, issues


def _read_audio(
    utt: Utterance,
) -> tuple[np.ndarray | None, audio_io.AudioInfo | None, Issue | None]:
    """The clip's mono samples at its own rate, or the issue that prevents reading it."""
    if not utt.audio.exists():
        return None, None, make_issue(
            IssueKind.MISSING_AUDIO, utt.id, f"audio file {utt.audio.name} does not exist",
            file=str(utt.audio),
        )  # fmt: skip
    if not is_regular_file(utt.audio):  # a FIFO or device would block the reader forever
        return None, None, make_issue(
            IssueKind.UNREADABLE_AUDIO, utt.id, f"{utt.audio.name} is not a regular file",
            file=str(utt.audio),
        )  # fmt: skip
    try:
        info = audio_io.info(utt.audio)
    except AudioFormatError as e:
        return None, None, make_issue(
            IssueKind.UNREADABLE_AUDIO, utt.id, "not a readable audio file",
            file=str(utt.audio), error=e.message,
        )  # fmt: skip
    try:
        audio = audio_io.load(utt.audio, info.sample_rate)
    except AudioFormatError as e:
        return None, None, make_issue(
            IssueKind.CORRUPT_AUDIO, utt.id, "audio data cannot be decoded",
            file=str(utt.audio), error=e.message,
        )  # fmt: skip
    if not np.all(np.isfinite(audio)):
        return None, None, make_issue(
            IssueKind.CORRUPT_AUDIO, utt.id, "audio contains NaN or infinite samples",
            file=str(utt.audio),
        )  # fmt: skip
    return audio, info, None


def _level_issues(
    utt_id: str, audio: np.ndarray, sample_rate: int, limits: CheckThresholds
) -> list[Issue]:
    issues = []
    seconds = audio.size / sample_rate
    if seconds < limits.min_duration:
        issues.append(
            make_issue(
                IssueKind.TOO_SHORT,
                utt_id,
                f"clip is {seconds:.2f} s, shorter than {limits.min_duration:g} s",
            )
        )
    if seconds > limits.max_duration:
        issues.append(
            make_issue(
                IssueKind.TOO_LONG,
                utt_id,
                f"clip is {seconds:.1f} s, longer than {limits.max_duration:g} s",
                hint="split it at pauses",
            )
        )
    clipped = levels.clipped_fraction(audio, limits.clip_level)
    if clipped > limits.max_clipped_fraction:
        issues.append(
            make_issue(
                IssueKind.CLIPPING,
                utt_id,
                f"{clipped:.2%} of samples are clipped",
                severity=WARNING,
                hint="re-record or lower the gain; clipping is learned as distortion",
            )
        )
    start, end = levels.speech_bounds(audio, sample_rate, top_db=limits.trim_top_db)
    loudest = levels.peak(audio)
    rms = levels.rms_dbfs(audio[start:end])
    if loudest < limits.min_peak or rms < limits.min_rms_dbfs:
        issues.append(
            make_issue(
                IssueKind.SILENT,
                utt_id,
                f"silent or too quiet (peak {loudest:.4f}, RMS {rms:.1f} dBFS)",
            )
        )
    return issues


class _TextProbe:
    """Finds what the voice's front end cannot read in a transcript.

    Two checks: characters that on their own give no known symbol (a snowman, an emoji, an
    'ø' for a front end without it; punctuation and spaces are fine), and symbols the front end
    produces for the whole transcript that the voice's table lacks (an IPA symbol missing from
    a custom table). Single-character results are cached: a dataset has few distinct characters.
    """

    def __init__(self, frontend: TextFrontend) -> None:
        self.frontend = frontend
        self._readable: dict[str, bool] = {}

    def tokens(self, text: str) -> list[str]:
        """The tokens ``encode`` looks up (the official kind spells words without CMUdict: the
        dictionary only yields known ARPAbet symbols, so the spelling shows every gap)."""
        if self.frontend.config.phonemizer == "official":
            return official.phonemize_tokens(text, None)
        return list(self.frontend.phonemize(text))

    def readable(self, ch: str) -> bool:
        if ch not in self._readable:
            if unicodedata.category(ch)[0] in "ZPCM":
                self._readable[ch] = True
            else:
                ids, _ = self.frontend.symbols.lookup(self.tokens(ch))
                self._readable[ch] = self.frontend.symbols.is_pronounceable(ids)
        return self._readable[ch]

    def issues(self, utt: Utterance) -> list[Issue]:
        try:
            ids, dropped = self.frontend.symbols.lookup(self.tokens(utt.text))
        except TextError as e:
            return [make_issue(IssueKind.NOTHING_PRONOUNCEABLE, utt.id, e.message)]
        unknown = sorted({ch for ch in utt.text if not self.readable(ch)})
        missing = [s for s in dropped if s not in unknown and s.strip()]
        issues = []
        if unknown or missing:
            shown = [f"'{ch}' (U+{ord(ch):04X})" for ch in unknown[:8]]
            shown += [f"symbol '{s}'" for s in missing[:8]]
            issues.append(
                make_issue(
                    IssueKind.UNKNOWN_CHARACTERS,
                    utt.id,
                    f"the text front end cannot read {', '.join(shown)}",
                    hint="spell these out or remove them from the transcript",
                )
            )
        if not self.frontend.symbols.is_pronounceable(ids):
            issues.append(
                make_issue(
                    IssueKind.NOTHING_PRONOUNCEABLE,
                    utt.id,
                    "the transcript has nothing the text front end can pronounce",
                )
            )
        return issues


# --------------------------------------------------------------------------------------------
# Dataset-wide: how much audio
# --------------------------------------------------------------------------------------------


def _amount_issues(clips: Sequence[ClipStats], where: str) -> list[Issue]:
    """A warning, with the numbers, when the usable audio is too little for a useful fine-tune
    (none at all is left to the errors that made it so)."""
    seconds = sum(c.duration for c in clips)
    if not clips or seconds >= FINETUNE_GOOD_SECONDS:
        return []
    amount = f"{len(clips)} clip(s), {seconds:.0f} s of audio"
    good = f"{FINETUNE_GOOD_SECONDS / 60:.0f} minutes or more"
    if seconds < FINETUNE_MIN_SECONDS:
        problem = (
            f"{amount}: too little to fine-tune (`glowtts finetune` needs at least "
            f"{FINETUNE_MIN_SECONDS:.0f} s, {FINETUNE_MIN_SECONDS - seconds:.0f} s more; {good} "
            "sound closer)"
        )
    else:
        problem = f"{amount}: enough to fine-tune, but {good} make a voice closer to the speaker"
    return [make_issue(IssueKind.LITTLE_AUDIO, where, problem, severity=WARNING)]


# --------------------------------------------------------------------------------------------
# Dataset-wide: speaking rate
# --------------------------------------------------------------------------------------------


def _rate_issues(clips: Sequence[ClipStats], limits: CheckThresholds) -> list[Issue]:
    """Clips whose letters-per-second lie outside median ± k·MAD or the absolute bounds.

    The MAD is scaled by 1.4826 (a standard deviation for normal data) and floored at
    ``rate_mad_floor`` × median, so a tiny or very uniform dataset does not flag ordinary
    variation; below ``rate_min_clips`` clips only the absolute bounds apply.
    """
    rated = [c for c in clips if c.letters > 0 and c.speech_duration > 0]
    low, high = limits.min_chars_per_second, limits.max_chars_per_second
    median = spread = math.nan
    if len(rated) >= limits.rate_min_clips:
        rates = [c.chars_per_second for c in rated]
        median = statistics.median(rates)
        mad = 1.4826 * statistics.median(abs(r - median) for r in rates)
        spread = limits.rate_mad_factor * max(mad, limits.rate_mad_floor * median)
    issues = []
    for clip in rated:
        rate = clip.chars_per_second
        outside_stats = not math.isnan(median) and abs(rate - median) > spread
        if rate < low or rate > high or outside_stats:
            typical = f"typical {median:.1f}" if not math.isnan(median) else f"{low:g}-{high:g}"
            issues.append(
                make_issue(
                    IssueKind.SPEAKING_RATE,
                    clip.id,
                    f"{rate:.1f} letters/s of speech ({typical}): transcript and audio may "
                    "not match",
                    severity=WARNING,
                )
            )
    return issues
