"""Start a trainable model from a voice: unfold its weights, extend symbols and speakers.

Voices store inference weights (weight norm folded). Training needs weight norm back: for a
folded ``w`` the pair ``g = ||w||`` (per output channel), ``v = w`` gives the same weight.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import torch
from torch.nn.utils import parametrize

from glowtts_cli.config import ModelConfig, TextConfig, VoiceConfig
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.state_dict import load_state_dict_strict

_G = ".parametrizations.weight.original0"
_V = ".parametrizations.weight.original1"


def unfold_weight_norm(
    model: GlowTTS, folded: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """A state dict for the weight-normed ``model`` equal in effect to ``folded`` weights."""
    state: dict[str, torch.Tensor] = {}
    normed = {
        name
        for name, module in model.named_modules()
        if parametrize.is_parametrized(module, "weight")
    }
    for key, value in folded.items():
        layer = key[: -len(".weight")] if key.endswith(".weight") else None
        if layer is not None and layer in normed:
            dims = tuple(range(1, value.dim()))
            state[layer + _G] = value.norm(dim=dims, keepdim=True)  # [C_out, 1, 1]
            state[layer + _V] = value.clone()
        else:
            state[key] = value
    return state


def extend_symbols(text: TextConfig, new: Sequence[str]) -> TextConfig:
    """The symbol table with ``new`` symbols appended (ids of old symbols unchanged)."""
    added = [s for s in dict.fromkeys(new) if s not in text.symbols]
    return dataclasses.replace(text, symbols=(*text.symbols, *added))


def grow_embedding(
    weight: torch.Tensor, old: TextConfig, new: TextConfig, *, generator: torch.Generator
) -> torch.Tensor:
    """Embedding rows for ``new``: old rows kept, new symbols drawn like a fresh init, and the
    blank row (id = number of symbols) moved to its new place."""
    hidden = weight.shape[1]
    grown: torch.Tensor = torch.randn(new.n_vocab, hidden, generator=generator) * hidden**-0.5
    n_old = len(old.symbols)
    grown[:n_old] = weight[:n_old]
    if old.add_blank:
        grown[len(new.symbols)] = weight[n_old]
    return grown


MULTI_SPEAKER_GIN = 256
"""Speaker embedding width for multi-speaker models (the official LibriTTS model used 256)."""


def speaker_table(
    base: VoiceConfig, data_speakers: Sequence[str]
) -> tuple[tuple[str, ...], list[int | None]]:
    """Speaker names of the fine-tuned model, and for each the base row it starts from (None =
    a new speaker: the mean of the base speakers, or for a single-speaker base a fresh
    embedding whose conditioning starts with no effect, see :func:`warm_start`)."""
    if not base.model.multi_speaker:
        if len(data_speakers) > 1:
            return tuple(data_speakers), [None] * len(data_speakers)
        return (), []
    names = list(base.speakers) or [str(i) for i in range(base.model.n_speakers)]
    rows: list[int | None] = list(range(len(names)))
    for speaker in data_speakers:
        if speaker not in names:
            names.append(speaker)
            rows.append(None)
    return tuple(names), rows


def speaker_model(base: ModelConfig, text: TextConfig, speakers: Sequence[str]) -> ModelConfig:
    """The fine-tuned model's config: the base one with the grown symbol table and speaker
    table (a single-speaker base gains speaker conditioning of :data:`MULTI_SPEAKER_GIN`)."""
    n_speakers = max(len(speakers), base.n_speakers)
    gin = base.gin_channels or (MULTI_SPEAKER_GIN if n_speakers > 1 else 0)
    return dataclasses.replace(base, n_vocab=text.n_vocab, n_speakers=n_speakers, gin_channels=gin)


def _grow_conditioning(state: dict[str, torch.Tensor], model: GlowTTS) -> None:
    """Speaker conditioning for a base that had none, starting with no effect at all: the
    coupling layers' ``cond_layer`` has weight-norm gain 0 and bias 0 (so ``w = 0``, while the
    gain still gets gradients), the duration predictor's new input columns are 0, and the
    speaker table is freshly drawn. The model starts as the base voice for every speaker."""
    fresh = model.state_dict()
    for key, value in fresh.items():
        if key == "duration.conv_1.weight":
            grown = torch.zeros_like(value)  # [F, C + G, k]: base columns first, then g's
            grown[:, : state[key].shape[1]] = state[key]
            state[key] = grown
        elif key not in state:
            cond_gain = ".cond_layer" in key and (key.endswith(_G) or key.endswith(".bias"))
            state[key] = torch.zeros_like(value) if cond_gain else value


def warm_start(
    base: VoiceConfig,
    folded: Mapping[str, torch.Tensor],
    *,
    text: TextConfig,
    model: ModelConfig,
    rows: Sequence[int | None],
    seed: int,
) -> GlowTTS:
    """Build the trainable model for a fine-tune, loaded from the base voice's weights.

    ``text`` and ``model`` are the planned fine-tuned voice's (``model`` from
    :func:`speaker_model`); ``rows`` the base speaker each speaker starts from
    (:func:`speaker_table`)."""
    generator = torch.Generator().manual_seed(seed)
    base_model = GlowTTS(base.model)
    load_state_dict_strict(base_model, unfold_weight_norm(base_model, folded), source="base voice")
    state = dict(base_model.state_dict())
    if text.symbols != base.text.symbols:
        state["encoder.emb.weight"] = grow_embedding(
            state["encoder.emb.weight"], base.text, text, generator=generator
        )
    if base.model.multi_speaker and model.n_speakers > base.model.n_speakers:
        table = state["emb_g.weight"]
        mean = table.mean(dim=0)
        state["emb_g.weight"] = torch.stack([table[r] if r is not None else mean for r in rows])
    torch.manual_seed(seed)
    grown = GlowTTS(model)
    if model.gin_channels and not base.model.gin_channels:
        _grow_conditioning(state, grown)
    load_state_dict_strict(grown, state, source="base voice")
    return grown
