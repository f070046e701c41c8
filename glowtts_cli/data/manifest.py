"""Read a speech dataset's list of utterances from one of three layouts, detected automatically.

* ``ljspeech``: ``metadata.csv`` with ``id|text`` or ``id|text|normalized`` lines, and
  ``wavs/<id>.wav``.
* ``folder``: audio files, each with a same-named ``.txt`` transcript next to it (any depth).
* ``csv``: a CSV with a header naming ``audio``, ``text`` and optionally ``speaker`` columns; audio
  paths are relative to the CSV's folder. This is the layout for multi-speaker data.

Reading never stops at the first bad line: malformed metadata, non-UTF-8 or empty transcripts,
duplicate ids and paths that escape the dataset folder become :class:`Issue` s on the
:class:`Manifest`. Only a folder that is no dataset at all raises :class:`DatasetError`.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from glowtts_cli.data.issues import ERROR, WARNING, IssueKind, make_issue
from glowtts_cli.errors import DatasetError, Issue

LAYOUTS = ("ljspeech", "folder", "csv")
"""The dataset layouts :func:`read_manifest` understands."""

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64"}
)
"""File endings taken as audio in the folder layout (all read by libsndfile)."""

CSV_COLUMNS = {"audio": ("audio", "path", "file", "wav"), "text": ("text", "transcript")}
"""Accepted header names (case-insensitive) for the CSV layout's required columns."""

_CSV_DELIMITERS = (",", "|", "\t", ";")

HEADER_IDS = frozenset({"id", "ids", "name", "file", "filename", "file_name", "audio", "wav", "utt",
                        "utt_id", "utterance", "key"})  # fmt: skip
"""First fields that make an LJSpeech first line a column header (``id|text``), not a clip."""


@dataclass(frozen=True)
class Utterance:
    """One clip and its transcript, as the dataset declares it (nothing is read or checked yet)."""

    id: str
    """Unique name: the LJSpeech id, or the audio path relative to the dataset without suffix."""
    audio: Path
    """Where the audio should be (absolute when the dataset root is; may not exist)."""
    text: str
    """The transcript, stripped (undecodable bytes replaced by U+FFFD)."""
    speaker: str = ""
    """Speaker name ('' for single-speaker data)."""
    source: str = ""
    """Where it was declared, for messages: ``metadata.csv:12`` or ``a/b.txt``."""


@dataclass(frozen=True)
class Manifest:
    """The utterances of a dataset plus every problem met while reading its metadata."""

    root: Path
    """The dataset folder; every audio path must stay inside it."""
    layout: str
    """One of :data:`LAYOUTS`."""
    source: Path
    """The metadata file (ljspeech, csv) or the root folder (folder layout)."""
    utterances: tuple[Utterance, ...]
    """In file order."""
    issues: tuple[Issue, ...]
    """Problems found while reading (see :class:`glowtts_cli.data.issues.IssueKind`)."""

    @property
    def speakers(self) -> tuple[str, ...]:
        """Sorted distinct speaker names; a speaker's index is its id. Empty if single-speaker."""
        return tuple(sorted({u.speaker for u in self.utterances if u.speaker}))


def read_manifest(path: str | Path, *, layout: str | None = None) -> Manifest:
    """Read a dataset folder (or its metadata file), detecting the layout unless one is given.

    Raises:
        DatasetError: the path does not exist, holds no recognisable dataset, is ambiguous, or
            a CSV lacks its required columns.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(
            f"Dataset {path} does not exist.", issues=[], hint="Pass a dataset folder."
        )
    if layout is not None and layout not in LAYOUTS:
        close = difflib.get_close_matches(layout, LAYOUTS, n=1)
        raise DatasetError(
            f"Unknown dataset layout '{layout}'."
            + (f" Did you mean '{close[0]}'?" if close else ""),
            issues=[],
            hint=f"Layouts: {', '.join(LAYOUTS)}.",
        )
    if not (path.is_file() or path.is_dir()):
        raise DatasetError(
            f"Dataset {path} is neither a folder nor a regular file.",
            issues=[],
            hint="Pass a dataset folder.",
        )
    root = path.parent if path.is_file() else path
    root = Path(os.path.abspath(root))
    source, found = _detect(path, root, layout)
    if found == "ljspeech":
        manifest = _read_ljspeech(root, source)
    elif found == "csv":
        manifest = _read_csv(root, source)
    else:
        manifest = _read_folder(root)
    return _with_duplicate_issues(manifest)


# --------------------------------------------------------------------------------------------
# Layout detection
# --------------------------------------------------------------------------------------------


def _detect(path: Path, root: Path, layout: str | None) -> tuple[Path, str]:
    if path.is_file():
        if layout == "folder":
            raise DatasetError(f"The folder layout needs a folder, not the file {path}.", issues=[])
        if layout is not None:
            return Path(os.path.abspath(path)), layout
        return Path(os.path.abspath(path)), _table_kind(path)
    metadata = root / "metadata.csv"
    if layout == "folder":
        return root, "folder"
    if metadata.is_file() and layout in (None, "ljspeech", "csv"):
        return metadata, layout or _table_kind(metadata)
    tables = sorted(
        p for p in root.iterdir() if p.suffix.lower() in (".csv", ".tsv") and p.is_file()
    )
    with_header = [p for p in tables if _csv_header(_read_first_line(p)) is not None]
    if layout in (None, "csv") and len(with_header) == 1:
        return with_header[0], "csv"
    if len(with_header) > 1 and layout in (None, "csv"):
        raise DatasetError(
            f"{root} holds several CSV tables: {', '.join(p.name for p in with_header)}.",
            issues=[],
            hint="Pass the one to use, e.g. `glowtts dataset check DIR/train.csv`.",
        )
    if layout in (None, "folder") and _has_audio(root):
        return root, "folder"
    raise DatasetError(
        f"No dataset found in {root}" + (f" with the '{layout}' layout." if layout else "."),
        issues=[],
        hint="Use one of: metadata.csv (id|text) + wavs/; audio files with same-named .txt "
        "transcripts; or a CSV with a header 'audio,text[,speaker]'.",
    )


def _table_kind(path: Path) -> str:
    """``csv`` for a table with an audio,text header, ``ljspeech`` for ``id|text`` lines."""
    first = _read_first_line(path)
    if _csv_header(first) is not None:
        return "csv"
    if "|" in first:
        return "ljspeech"
    raise DatasetError(
        f"{path} is neither LJSpeech metadata (id|text) nor a CSV with a header naming the "
        f"audio and text columns; its first line is '{first[:80]}'.",
        issues=[],
        hint="Use 'id|text' lines, or start the CSV with a header such as 'audio,text,speaker'.",
    )


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (after symlinks): opening a FIFO or device would block
    or never end."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _read_first_line(path: Path) -> str:
    if not is_regular_file(path):
        raise DatasetError(f"{path} is not a regular file.", issues=[])
    try:
        with path.open("rb") as f:
            head = f.readline(65536)
    except OSError as e:
        raise DatasetError(f"Cannot read {path}: {e.strerror or e}.", issues=[]) from e
    return head.decode("utf-8", errors="replace").lstrip("\ufeff").strip()


def _csv_header(line: str) -> tuple[str, dict[str, int]] | None:
    """(delimiter, column name -> index) if ``line`` is a header naming audio and text."""
    for delimiter in _CSV_DELIMITERS:
        names = [n.strip().lower() for n in next(csv.reader([line], delimiter=delimiter), [])]
        columns: dict[str, int] = {}
        for i, name in enumerate(names):
            for column, aliases in (*CSV_COLUMNS.items(), ("speaker", ("speaker",))):
                if name in aliases and column not in columns:
                    columns[column] = i
        if "audio" in columns and "text" in columns:
            return delimiter, columns
    return None


def _has_audio(root: Path) -> bool:
    return any(p.suffix.lower() in AUDIO_EXTENSIONS for p in _walk(root))


def _walk(root: Path) -> list[Path]:
    """Files below ``root`` in sorted order, skipping hidden files and folders (``.DS_Store``)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath, f) for f in sorted(filenames) if not f.startswith("."))
    return found


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def _decode(raw: bytes) -> tuple[str, bool]:
    """UTF-8 text with undecodable bytes replaced, and whether any were."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), False


def _read_lines(path: Path) -> list[tuple[int, str, bool]]:
    """(line number, text, is valid UTF-8) of each non-blank line; a BOM is dropped."""
    if not is_regular_file(path):
        raise DatasetError(f"{path} is not a regular file.", issues=[])
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"Cannot read {path}: {e.strerror or e}.", issues=[]) from e
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = []
    for number, raw in enumerate(data.splitlines(), start=1):
        text, valid = _decode(raw)
        if text.strip():
            lines.append((number, text, valid))
    return lines


def _inside(root: Path, candidate: Path) -> bool:
    """Whether ``candidate`` lies in ``root``, as written and after following symlinks (a link
    in ``wavs/`` to a file elsewhere escapes the dataset as much as ``../x.wav`` does)."""
    normal = Path(os.path.normpath(candidate))
    real, real_root = Path(os.path.realpath(candidate)), Path(os.path.realpath(root))
    lexical = normal == root or root in normal.parents
    return lexical and (real == real_root or real_root in real.parents)


def _plain_name(utt_id: str) -> bool:
    """An LJSpeech id names a file in ``wavs/``: no folders, no ``..``, no drive or root."""
    return utt_id not in (".", "..") and not any(ch in utt_id for ch in "/\\:\x00")


def _text_issues(utt_id: str, text: str, valid_utf8: bool, where: str) -> list[Issue]:
    if not valid_utf8:
        return [
            make_issue(
                IssueKind.NON_UTF8_TRANSCRIPT,
                utt_id,
                "transcript is not valid UTF-8",
                file=where,
                hint="re-save the transcript as UTF-8",
            )
        ]
    if not text.strip():
        return [make_issue(IssueKind.EMPTY_TRANSCRIPT, utt_id, "transcript is empty", file=where)]
    return []


def _read_ljspeech(root: Path, metadata: Path) -> Manifest:
    audio_dir = root / "wavs" if (root / "wavs").is_dir() else root
    utterances: list[Utterance] = []
    issues: list[Issue] = []
    for number, line, valid in _read_lines(metadata):
        where = f"{metadata.name}:{number}"
        fields = line.rstrip("\r\n").split("|")
        if len(fields) not in (2, 3):
            issues.append(
                make_issue(
                    IssueKind.MALFORMED_METADATA,
                    where,
                    f"expected 'id|text' or 'id|text|normalized', found {len(fields)} field(s)",
                )
            )
            continue
        utt_id = fields[0].strip()
        if not utt_id:
            issues.append(make_issue(IssueKind.MALFORMED_METADATA, where, "empty id"))
            continue
        if not utterances and not issues and _is_header(utt_id, audio_dir):
            issues.append(make_issue(IssueKind.MALFORMED_METADATA, where,
                                     f"header row '{line.strip()[:40]}' skipped",
                                     severity=WARNING))  # fmt: skip
            continue
        if not _plain_name(utt_id):
            issues.append(make_issue(
                IssueKind.PATH_ESCAPE, utt_id, f"id '{utt_id}' is not a plain file name",
                file=where, hint="an id names a clip in wavs/: no folders, '..' or drive letters",
            ))  # fmt: skip
            continue
        text = (fields[2] if len(fields) == 3 and fields[2].strip() else fields[1]).strip()
        name = utt_id if Path(utt_id).suffix.lower() in AUDIO_EXTENSIONS else f"{utt_id}.wav"
        audio = audio_dir / name
        if not _inside(root, audio) or Path(utt_id).is_absolute():
            issues.append(_escape_issue(utt_id, utt_id, where))
            continue
        issues.extend(_text_issues(utt_id, text, valid, where))
        utterances.append(Utterance(id=utt_id, audio=audio, text=text, source=where))
    return Manifest(root, "ljspeech", metadata, tuple(utterances), tuple(issues))


def _is_header(utt_id: str, audio_dir: Path) -> bool:
    """A first line such as ``id|text``: a column name where an id should be, and no such clip."""
    return utt_id.lower() in HEADER_IDS and not any(
        (audio_dir / f"{utt_id}{ext}").exists() for ext in ("", ".wav")
    )


def _escape_issue(utt_id: str, declared: str, where: str) -> Issue:
    return make_issue(
        IssueKind.PATH_ESCAPE,
        utt_id,
        f"audio path '{declared}' points outside the dataset folder",
        file=where,
        hint="keep every clip inside the dataset folder and use relative paths",
    )


def _read_csv(root: Path, table: Path) -> Manifest:
    lines = _read_lines(table)
    header = _csv_header(lines[0][1]) if lines else None
    if header is None:
        raise DatasetError(
            f"{table} has no header naming the audio and text columns.",
            issues=[],
            hint="The first line must be e.g. 'audio,text' or 'audio,text,speaker'.",
        )
    delimiter, columns = header
    issues = _unknown_columns(lines[0][1], delimiter, table.name)
    utterances: list[Utterance] = []
    for number, line, valid in lines[1:]:
        where = f"{table.name}:{number}"
        row = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
        width = len(next(csv.reader([lines[0][1]], delimiter=delimiter)))
        if len(row) != width:
            issues.append(
                make_issue(
                    IssueKind.MALFORMED_METADATA,
                    where,
                    f"expected {width} column(s) like the header, found {len(row)}",
                )
            )
            continue
        declared = row[columns["audio"]].strip()
        text = row[columns["text"]].strip()
        speaker = row[columns["speaker"]].strip() if "speaker" in columns else ""
        if not declared:
            issues.append(make_issue(IssueKind.MALFORMED_METADATA, where, "empty audio path"))
            continue
        audio = Path(declared) if Path(declared).is_absolute() else root / declared
        utt_id = Path(os.path.normpath(declared)).with_suffix("").as_posix()
        if not _inside(root, audio):
            issues.append(_escape_issue(utt_id, declared, where))
            continue
        if "speaker" in columns and not speaker:
            issues.append(make_issue(IssueKind.MALFORMED_METADATA, where, "empty speaker name"))
        issues.extend(_text_issues(utt_id, text, valid, where))
        utterances.append(Utterance(utt_id, audio, text, speaker, where))
    return Manifest(root, "csv", table, tuple(utterances), tuple(issues))


def _unknown_columns(line: str, delimiter: str, name: str) -> list[Issue]:
    known = {a for aliases in CSV_COLUMNS.values() for a in aliases} | {"speaker"}
    issues = []
    for column in next(csv.reader([line], delimiter=delimiter)):
        column = column.strip().lower()
        if column not in known:
            close = difflib.get_close_matches(column, sorted(known), n=1)
            issues.append(
                make_issue(
                    IssueKind.MALFORMED_METADATA,
                    f"{name}:1",
                    f"column '{column}' is ignored"
                    + (f" (did you mean '{close[0]}'?)" if close else ""),
                    severity=WARNING,
                )
            )
    return issues


def _read_folder(root: Path) -> Manifest:
    files = _walk(root)
    audio_files = [p for p in files if p.suffix.lower() in AUDIO_EXTENSIONS]
    stems = {p.with_suffix("") for p in audio_files}
    utterances: list[Utterance] = []
    issues: list[Issue] = []
    for audio in audio_files:
        utt_id = audio.relative_to(root).with_suffix("").as_posix()
        transcript = audio.with_suffix(".txt")
        where = transcript.relative_to(root).as_posix()
        if not _inside(root, audio):
            issues.append(_escape_issue(utt_id, audio.relative_to(root).as_posix(), where))
            continue
        if not is_regular_file(transcript) and transcript.exists():
            issues.append(make_issue(IssueKind.MALFORMED_METADATA, utt_id,
                                     f"transcript '{where}' is not a regular file"))  # fmt: skip
            continue
        if not transcript.is_file():
            issues.append(
                make_issue(
                    IssueKind.MISSING_TRANSCRIPT,
                    utt_id,
                    f"no transcript '{where}' next to the audio",
                    file=audio.relative_to(root).as_posix(),
                )
            )
            continue
        try:
            text, valid = _decode(transcript.read_bytes().removeprefix(b"\xef\xbb\xbf"))
        except OSError as e:
            issues.append(
                make_issue(
                    IssueKind.MALFORMED_METADATA, utt_id, f"cannot read transcript: {e.strerror}"
                )
            )
            continue
        text = " ".join(text.split())
        issues.extend(_text_issues(utt_id, text, valid, where))
        utterances.append(Utterance(id=utt_id, audio=audio, text=text, source=where))
    for txt in files:
        if txt.suffix.lower() == ".txt" and txt.with_suffix("") not in stems:
            rel = txt.relative_to(root).as_posix()
            issues.append(
                make_issue(
                    IssueKind.ORPHAN_TRANSCRIPT,
                    rel,
                    "transcript has no audio file next to it",
                    severity=WARNING,
                )
            )
    return Manifest(root, "folder", root, tuple(utterances), tuple(issues))


def _with_duplicate_issues(manifest: Manifest) -> Manifest:
    counts = Counter(u.id for u in manifest.utterances)
    seen: dict[str, str] = {}
    issues = list(manifest.issues)
    for utt in manifest.utterances:
        if counts[utt.id] > 1:
            if utt.id in seen:
                issues.append(
                    make_issue(
                        IssueKind.DUPLICATE_ID,
                        utt.id,
                        f"id declared again (first at {seen[utt.id]})",
                        severity=ERROR,
                        file=utt.source,
                    )
                )
            else:
                seen[utt.id] = utt.source
    return Manifest(
        manifest.root, manifest.layout, manifest.source, manifest.utterances, tuple(issues)
    )
