"""A voice's ``model.onnx.json`` in Piper's voice-config format (no torch).

Piper turns text into ids as ``[^, _, p1, _, p2, _, ..., pn, _, $]``: the start symbol, then
each phoneme followed by the pad, then the end symbol, where each symbol maps to a *list* of
ids. Our ids are ``[b, p1, b, ..., pn, b]`` with the blank ``b`` (or ``[p1, ..., pn]`` without
blanks), so the map sends ``_`` to the blank (or to nothing), ``^`` and ``$`` to nothing, and
every other symbol to its own id: Piper's runtime then builds exactly our ids from the same
phonemes. The pad (id 0) is never produced from text, by either.
"""

from __future__ import annotations

from typing import Any

from glowtts_cli.config import VoiceConfig
from glowtts_cli.errors import ConfigError

__all__ = ["PIPER_BOS", "PIPER_EOS", "PIPER_PAD", "glowtts_section", "piper_config"]

PIPER_PAD = "_"
"""Piper's pad: it follows every phoneme (and the start symbol)."""
PIPER_BOS = "^"
"""Piper's start-of-sentence symbol."""
PIPER_EOS = "$"
"""Piper's end-of-sentence symbol."""

DEFAULT_NOISE_W = 0.8
"""Piper's noise-w default; written for completeness, the graph ignores it (deterministic
durations)."""


def phoneme_id_map(cfg: VoiceConfig) -> dict[str, list[int]]:
    """Symbol -> ids for Piper, reproducing our ids (see the module docstring)."""
    symbols = cfg.text.symbols
    blank = [len(symbols)] if cfg.text.add_blank else []
    id_map: dict[str, list[int]] = {PIPER_PAD: blank, PIPER_BOS: [], PIPER_EOS: []}
    for index, symbol in enumerate(symbols):
        if index == 0 or symbol in (PIPER_BOS, PIPER_EOS):
            continue  # the pad, and symbols Piper reserves (it never emits them from text)
        # Piper splits espeak's output into NFD code points: a precomposed symbol such as 'ä'
        # never reaches the map, so it is listed only under its own spelling (unreachable).
        id_map[symbol] = [index]
    return id_map


def glowtts_section(cfg: VoiceConfig, *, model_sha256: str | None) -> dict[str, Any]:
    """What our runtime needs beyond Piper's keys (Piper ignores unknown keys)."""
    return {
        "voice": cfg.name,
        "model_sha256": model_sha256,
        "sentence_silence": cfg.inference.sentence_silence,
        "hop_length": cfg.audio.hop_length,
    }


def piper_config(cfg: VoiceConfig, *, model_sha256: str | None = None) -> dict[str, Any]:
    """The Piper voice config of an exported voice.

    Args:
        cfg: the voice's config (its symbol table fixes the ids).
        model_sha256: sha256 of the ``model.safetensors`` the graph was built from, recorded so
            that a stale export is noticed.

    Raises:
        ConfigError: a front end Piper cannot reproduce (the official CMUdict/ARPAbet one).
    """
    if cfg.text.phonemizer == "official":
        raise ConfigError(
            f"Voice '{cfg.name}' uses the official CMUdict front end (ARPAbet tokens); Piper "
            "phonemizes with espeak-ng or plain characters only.",
            hint="Export a voice trained on espeak phonemes (the default front end).",
        )
    phoneme_type = "espeak" if cfg.text.phonemizer == "espeak" else "text"
    speakers = {name: index for index, name in enumerate(cfg.speakers)}
    if cfg.model.multi_speaker and not speakers:
        speakers = {str(i): i for i in range(cfg.model.n_speakers)}
    return {
        "audio": {"sample_rate": cfg.audio.sample_rate, "quality": "medium"},
        "espeak": {"voice": cfg.text.language},
        "language": {"code": cfg.text.language},
        "phoneme_type": phoneme_type,
        "num_symbols": cfg.text.n_vocab,
        "num_speakers": cfg.model.n_speakers if cfg.model.multi_speaker else 1,
        "speaker_id_map": speakers,
        "inference": {
            "noise_scale": cfg.inference.noise_scale,
            "length_scale": cfg.inference.length_scale,
            "noise_w": DEFAULT_NOISE_W,
        },
        "hop_length": cfg.audio.hop_length,
        "phoneme_id_map": phoneme_id_map(cfg),
        "dataset": cfg.name,
        "glowtts": glowtts_section(cfg, model_sha256=model_sha256),
    }
