"""The kinds of dataset problems the reader and the checker report, and how an Issue is built.

Every dataset issue is a :class:`glowtts_cli.errors.Issue` whose ``details["kind"]`` is one of
:class:`IssueKind`, so callers (the CLI table, tests, ``--skip-invalid``) can act on the kind
without parsing English.
"""

from __future__ import annotations

import enum

from glowtts_cli.errors import Issue


class IssueKind(str, enum.Enum):
    """What is wrong. The value is the stable, machine-readable name."""

    MALFORMED_METADATA = "malformed_metadata"
    MISSING_AUDIO = "missing_audio"
    UNREADABLE_AUDIO = "unreadable_audio"
    CORRUPT_AUDIO = "corrupt_audio"
    MISSING_TRANSCRIPT = "missing_transcript"
    ORPHAN_TRANSCRIPT = "orphan_transcript"
    EMPTY_TRANSCRIPT = "empty_transcript"
    NON_UTF8_TRANSCRIPT = "non_utf8_transcript"
    DUPLICATE_ID = "duplicate_id"
    PATH_ESCAPE = "path_escape"
    CLIPPING = "clipping"
    SILENT = "silent"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    SPEAKING_RATE = "speaking_rate"
    UNKNOWN_CHARACTERS = "unknown_characters"
    NOTHING_PRONOUNCEABLE = "nothing_pronounceable"
    NO_UTTERANCES = "no_utterances"
    LITTLE_AUDIO = "little_audio"


ERROR = "error"
"""Severity of an issue that stops training."""

WARNING = "warning"
"""Severity of an issue that is only reported."""


def make_issue(
    kind: IssueKind,
    where: str,
    problem: str,
    *,
    severity: str = ERROR,
    **details: str,
) -> Issue:
    """Build an :class:`Issue` tagged with its kind (``details["kind"]``)."""
    return Issue(
        where=where, problem=problem, severity=severity, details={"kind": kind.value, **details}
    )


def issue_kind(issue: Issue) -> str:
    """The kind name of an issue ('' for issues made elsewhere)."""
    return issue.details.get("kind", "")
