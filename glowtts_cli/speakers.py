"""Which speaker of a voice an argument means: a name, an index (or its digits), or none.

Answered here once for every edge (``speak()``, ``glowtts say``, the server): a bad speaker is a
:class:`~glowtts_cli.errors.ParameterError` naming ``speaker``, with the voice's speakers.
"""

from __future__ import annotations

from glowtts_cli.config import VoiceConfig
from glowtts_cli.errors import ParameterError
from glowtts_cli.voices import suggest

__all__ = ["speaker_index", "speaker_names"]


def speaker_names(cfg: VoiceConfig) -> list[str]:
    """A multi-speaker voice's speakers: their names, or indices as strings for unnamed ones;
    empty for a single-speaker voice."""
    if not cfg.model.multi_speaker:
        return []
    return list(cfg.speakers) or [str(i) for i in range(cfg.model.n_speakers)]


def speaker_index(
    cfg: VoiceConfig, speaker: str | int | None, *, voice: str | None = None
) -> int | None:
    """The speaker id ``speaker`` means in the voice ``cfg`` (None for a single-speaker voice).

    A multi-speaker voice takes a name or an index (``2`` or ``"2"``); none means speaker 0. A
    single-speaker voice takes nothing, 0 or its own name. ``voice`` names the voice in errors
    (default: its config's name).

    Raises:
        ParameterError: ``speaker`` is no speaker of the voice (``parameter="speaker"``).
    """
    voice = cfg.name if voice is None else voice
    names = list(cfg.speakers)
    if not cfg.model.multi_speaker:
        if speaker is not None and speaker not in (0, *names):
            raise ParameterError(
                f"Voice '{voice}' has a single speaker; speaker={speaker!r} is not valid.",
                parameter="speaker",
                hint="Leave speaker out.",
            )
        return None
    n_speakers = cfg.model.n_speakers
    if speaker is None:
        return 0
    if isinstance(speaker, int) or (isinstance(speaker, str) and speaker.isdigit()):
        index = int(speaker)
        if 0 <= index < n_speakers:
            return index
    elif speaker in names:
        return names.index(speaker)
    close = suggest(str(speaker), names)
    last = n_speakers - 1
    listing = f"{', '.join(names)} (a name or an index from 0 to {last})" if names else ""
    raise ParameterError(
        f"Unknown speaker '{speaker}' of voice '{voice}'."
        + (f" Did you mean '{close[0]}'?" if close else ""),
        parameter="speaker",
        hint=f"Speakers: {listing or f'an index from 0 to {last}'}.",
    )
