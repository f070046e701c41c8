"""The voices a server speaks with: loaded once at start, warmed up, found by id or OpenAI name.

Only the voices named at start are served; a request never makes the server load a folder or
download a repo. OpenAI's built-in voice names (``alloy``, ``echo`` ...) map to the default (first)
voice: to its speakers in turn for a multi-speaker voice, else all to its one speaker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from glowtts_cli.api import SynthesisOptions, Voice
from glowtts_cli.errors import ParameterError
from glowtts_cli.server.params import RequestError, request_error
from glowtts_cli.speakers import speaker_index, speaker_names
from glowtts_cli.voice_folder import public_name
from glowtts_cli.voices import suggest

logger = logging.getLogger(__name__)

OPENAI_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
    "nova", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
"""OpenAI's built-in voice names, in the order their speakers are assigned."""
WARM_UP_TEXT = "Hello."


@dataclass(frozen=True)
class ServedVoice:
    """One loaded voice and the names requests may use for it."""

    id: str
    """Unique id shown in listings (the voice's name, made unique)."""
    spec: str
    """The spec it was loaded from (folder, catalog name or ``org/repo``); also accepted.
    Listings show a folder by its name only: clients never see the server's paths."""
    voice: Voice
    """The loaded voice."""

    def speaker_names(self) -> list[str]:
        """Speaker names, or indices as strings for an unnamed multi-speaker voice."""
        return speaker_names(self.voice.cfg)

    def describe(self, *, default: bool) -> dict[str, Any]:
        """JSON for ``/v1/voices``."""
        cfg = self.voice.cfg
        return {
            "id": self.id,
            "object": "voice",
            "name": cfg.name,
            "spec": public_name(self.spec),
            "description": cfg.description,
            "language": cfg.language,
            "sample_rate": self.voice.sample_rate,
            "speakers": self.speaker_names(),
            "default": default,
            "defaults": {
                "noise_scale": cfg.inference.noise_scale,
                "length_scale": cfg.inference.length_scale,
                "sentence_silence": cfg.inference.sentence_silence,
            },
        }


@dataclass(frozen=True)
class VoiceChoice:
    """A request's voice and speaker id (None for a single-speaker voice)."""

    served: ServedVoice
    speaker: int | None


class VoiceRegistry:
    """The served voices; the first is the default."""

    def __init__(self, voices: Sequence[tuple[str, Voice]]) -> None:
        if not voices:
            raise ValueError("a registry needs at least one voice")
        self.voices: list[ServedVoice] = []
        self._names: dict[str, ServedVoice] = {}
        for spec, voice in voices:
            served = ServedVoice(_unique(voice.cfg.name, self._names), spec, voice)
            self.voices.append(served)
            self._names[served.id] = served
        for served in self.voices:
            self._names.setdefault(served.spec, served)
            self._names.setdefault(public_name(served.spec), served)  # as /v1/voices shows it

    @classmethod
    def load(
        cls,
        specs: Sequence[str],
        *,
        device: str | None = None,
        vocoder: str | None = None,
        warm_up: bool = True,
        threads: int | None = None,
    ) -> VoiceRegistry:
        """Load each voice once and run one short synthesis so the first request is not slow."""
        loaded = []
        for spec in specs:
            voice = Voice.load(spec, device=device, vocoder=vocoder, threads=threads)
            if warm_up:
                voice.synthesize(WARM_UP_TEXT, SynthesisOptions(seed=0))
            logger.info("loaded voice %s from %s on %s", voice.cfg.name, spec, voice.device)
            loaded.append((spec, voice))
        return cls(loaded)

    @property
    def default(self) -> ServedVoice:
        """The voice used when a request names none."""
        return self.voices[0]

    def find(self, name: str | None, speaker: str | int | None) -> VoiceChoice:
        """The voice and speaker id for a request, or a RequestError naming what exists."""
        alias_speaker: int | None = None
        if name is None:
            served = self.default
        elif name in self._names:
            served = self._names[name]
        elif name.lower() in OPENAI_VOICES:
            served = self.default
            n = served.voice.cfg.model.n_speakers
            alias_speaker = OPENAI_VOICES.index(name.lower()) % n if n > 1 else None
        else:
            shown = [n for v in self.voices for n in (v.id, public_name(v.spec))]
            close = suggest(name, [*shown, *OPENAI_VOICES])  # never a path of the server's
            raise RequestError(
                f"Voice {name!r} is not served here."
                + (f" Did you mean {close[0]!r}?" if close else ""),
                param="voice",
                code="voice_not_found",
                hint=f"Served voices: {', '.join(v.id for v in self.voices)} (or an OpenAI name "
                "such as 'alloy'); start the server with --voice to add one.",
            )
        if speaker is None and alias_speaker is not None:
            return VoiceChoice(served, alias_speaker)
        try:
            return VoiceChoice(served, speaker_index(served.voice.cfg, speaker, voice=served.id))
        except ParameterError as e:
            raise request_error(e, code="speaker_not_found") from e

    def listing(self) -> dict[str, Any]:
        """JSON for ``/v1/voices``: every voice, and where each OpenAI name leads."""
        aliases = {}
        for name in OPENAI_VOICES:
            choice = self.find(name, None)
            names = choice.served.speaker_names()
            aliases[name] = {
                "voice": choice.served.id,
                "speaker": None if choice.speaker is None else names[choice.speaker],
            }
        return {
            "object": "list",
            "data": [v.describe(default=v is self.default) for v in self.voices],
            "openai_voices": aliases,
        }


def _unique(name: str, taken: dict[str, ServedVoice]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate
