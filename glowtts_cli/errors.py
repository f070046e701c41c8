"""Errors users see: each carries a one-line message and an optional hint saying what to do.

Standard library only (layer L0). The CLI boundary renders these as ``error: ...`` / ``hint: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class GlowTTSError(Exception):
    """Base class for every expected failure; ``hint`` says how to fix it."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


class ConfigError(GlowTTSError):
    """A configuration value or file is invalid."""


class ParameterError(ConfigError):
    """An argument of a call is invalid (``noise_scale=3``, an unknown ``speaker``).

    ``parameter`` names the library's parameter, so that each edge can say it in its users'
    words: the CLI's flag (``--noise-scale``), the server's JSON or query parameter."""

    def __init__(self, message: str, *, parameter: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.parameter = parameter


class VoiceNotFoundError(GlowTTSError):
    """A voice spec resolves to nothing (local path, catalog name or Hub repo)."""


class CheckpointError(GlowTTSError):
    """Weights do not fit the model (missing/unexpected keys, wrong shapes, not a checkpoint)."""


class OfflineError(GlowTTSError):
    """A download was needed but the network is off or unreachable."""


class PhonemizerUnavailableError(GlowTTSError):
    """espeak-ng (or another G2P backend) cannot be loaded."""


class TextError(GlowTTSError):
    """Text input that cannot be turned into speech (empty, nothing pronounceable, binary)."""


class AudioLimitError(TextError):
    """The text would make more audio than the caller allows (``Voice.stream(max_seconds=)``)."""


class AudioFormatError(GlowTTSError):
    """An audio file cannot be read or written in the requested format."""


class AudioDeviceError(GlowTTSError):
    """Playback failed: PortAudio missing or no output device."""


class TrainingError(GlowTTSError):
    """Training cannot go on (diverged, no usable data, incompatible checkpoint)."""


@dataclass(frozen=True)
class Issue:
    """One problem found by a validator; validators collect all of them instead of stopping."""

    where: str
    """What the issue is about: a file, an utterance id or a field."""
    problem: str
    """What is wrong, in a few words."""
    severity: str = "error"
    """``error`` stops training; ``warning`` is reported only."""
    details: dict[str, str] = field(default_factory=dict)


class DatasetError(GlowTTSError):
    """A dataset has problems that stop training; ``issues`` lists every one."""

    def __init__(self, message: str, *, issues: list[Issue], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.issues = issues
