"""Read and write voice folders: ``config.json``, ``model.safetensors``, optional
``vocoder.safetensors`` and a ``README.md`` model card. Every file is written atomically.

Published weights are safetensors only (no pickle). Loading is strict: a config that does not
validate or weights that do not fit are errors naming the problem. torch is imported lazily.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from glowtts_cli.config import SCHEMA_VERSION, VoiceConfig, from_dict, save_json
from glowtts_cli.errors import CheckpointError, ConfigError, VoiceNotFoundError
from glowtts_cli.files import atomic_write_text, read_json

if TYPE_CHECKING:  # torch is imported lazily so listing voices stays fast
    import torch

CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
VOCODER_FILE = "vocoder.safetensors"
CARD_FILE = "README.md"
VOICE_FILES = (CONFIG_FILE, MODEL_FILE, VOCODER_FILE, CARD_FILE)


def read_voice_config(voice_dir: Path) -> VoiceConfig:
    """Read and validate ``config.json``; the schema version is checked before anything else."""
    path = voice_dir / CONFIG_FILE
    if not path.exists():
        raise VoiceNotFoundError(
            f"{voice_dir} is not a voice folder: it has no {CONFIG_FILE}.",
            hint="A voice folder holds config.json and model.safetensors.",
        )
    fix = "Fix config.json, or download or export the voice again."
    data = read_json(path, hint=fix)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: voice schema_version {version!r} is not supported "
            f"(expected {SCHEMA_VERSION}).",
            hint="Upgrade glowtts-cli (pip install -U glowtts-cli) or re-export the voice.",
        )
    not_finite = list(_non_finite(data, ""))
    if not_finite:
        raise ConfigError(
            f"{path}: {', '.join(not_finite[:10])} must be a finite number, not NaN or infinity.",
            hint="Fix the value in config.json, or re-export the voice.",
        )
    if "model" not in data:  # its default (the base model) would fit no voice's weights
        raise ConfigError(f"{path} has no 'model' section: it does not describe a model.", hint=fix)
    try:
        return from_dict(VoiceConfig, data, where=str(path))
    except ConfigError as e:
        e.hint = e.hint or fix
        raise


def _non_finite(value: object, where: str) -> Iterator[str]:
    """Dotted keys of the NaN and infinite numbers in a parsed JSON value (JSON allows them)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield where or "value"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_finite(item, f"{where}[{i}]")


_HUB_LICENSES = frozenset({
    "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "cc0-1.0", "cc-by-2.0",
    "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0",
    "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "gpl-2.0", "gpl-3.0", "lgpl-2.1", "lgpl-3.0",
    "agpl-3.0", "mpl-2.0", "isc", "unlicense", "openrail", "pddl", "odc-by", "unknown", "other",
})  # fmt: skip
"""License ids the Hub accepts in card metadata (the common subset); others become ``other``."""


def _license_metadata(license_: str) -> list[str]:
    """The card's YAML license lines: a Hub license id, or ``other`` plus the name."""
    slug = license_.strip().lower().replace(" ", "-")
    if slug in _HUB_LICENSES:
        return [f"license: {slug}"]
    return ["license: other", f"license_name: {re.sub(r'[^a-z0-9.-]+', '-', slug) or 'other'}"]


def model_card(cfg: VoiceConfig, *, spec: str | None = None) -> str:
    """A Markdown model card generated from the voice config (honest about provenance).

    ``spec`` is what users pass to ``--voice`` (the Hub repo when publishing; else the name).
    """
    t = cfg.training
    lines = [
        "---",
        *_license_metadata(cfg.license),
        f"language: {cfg.language.split('-')[0]}",
        "library_name: glowtts-cli",
        "pipeline_tag: text-to-speech",
        "tags: [glow-tts, text-to-speech]",
        "---",
        "",
        f"# {cfg.name}",
        "",
        cfg.description or "A Glow-TTS voice for glowtts-cli.",
        "",
        "```",
        f'glowtts say "Hello there." --voice {spec or cfg.name} -o hello.wav',
        "```",
        "",
        "| | |",
        "|---|---|",
        f"| language | {cfg.language} |",
        f"| speakers | {', '.join(cfg.speakers) or 'one'} |",
        f"| sample rate | {cfg.audio.sample_rate} Hz |",
        f"| front end | {cfg.text.phonemizer} ({len(cfg.text.symbols)} symbols"
        f"{', blank' if cfg.text.add_blank else ''}) |",
        f"| vocoder | {cfg.vocoder.kind} ({cfg.vocoder.source}) |",
        f"| noise / length scale | {cfg.inference.noise_scale} / {cfg.inference.length_scale} |",
        f"| license | {cfg.license} |",
        "",
        "## Training",
        "",
        f"- data: {t.dataset or 'not recorded'}",
        f"- hours of audio: {t.hours:.2f}",
        f"- steps: {t.steps}",
    ]
    if t.base_voice:
        lines.append(f"- fine-tuned from: {t.base_voice}")
    if t.final_losses:
        losses = ", ".join(f"{k} {v:.4f}" for k, v in sorted(t.final_losses.items()))
        lines.append(f"- final losses: {losses}")
    if t.notes:
        lines += ["", t.notes]
    return "\n".join(lines) + "\n"


def public_name(spec: str) -> str:
    """What a model card may say about a dataset or voice given as ``spec``: a local folder
    becomes its name alone (an absolute path tells the world where and under whose account it
    was made); a catalog name or Hub repo stays as it is."""
    if not spec:
        return spec
    path = Path(spec).expanduser()
    if path.is_absolute() or spec.startswith((".", "~")) or path.exists():
        return path.resolve().name
    return spec


_PATH_CANDIDATE = re.compile(r"(?<![\w.:/\\~-])(?:~?[/\\]|[A-Za-z]:[/\\])[^\s\"'`|<>()\[\]{},;*]+")
"""Absolute-looking paths: ``/x/y``, ``~/x``, ``C:\\x`` (not URLs, not ``org/name``)."""


def local_path_leaks(voice_dir: Path) -> list[str]:
    """Local paths (and so user names) in what publishing ``voice_dir`` would upload.

    Looks at every string of ``config.json`` and at ``README.md``. A leak is a path starting at
    ``~`` or a drive letter, one naming the user's home folder or user name, or an absolute path
    of two or more parts whose top folder exists on this machine (``/home/...``, ``/data/...``).
    Returns ``"file: path"`` lines.
    """
    texts: list[tuple[str, str]] = []
    config = voice_dir / CONFIG_FILE
    if config.is_file():
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            texts += [(CONFIG_FILE, s) for s in _strings(json.loads(config.read_text("utf-8")))]
    card = voice_dir / CARD_FILE
    if card.is_file():
        texts.append((CARD_FILE, card.read_text("utf-8", errors="replace")))
    found: list[str] = []
    for where, text in texts:
        for match in _PATH_CANDIDATE.finditer(text):
            path = match.group(0).rstrip(".:")
            line = f"{where}: {path}"
            if _is_local(path) and line not in found:
                found.append(line)
    return found


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _is_local(text: str) -> bool:
    parts = [p for p in re.split(r"[/\\]", text) if p]
    if text.startswith("~") or re.match(r"[A-Za-z]:", text):
        return True
    with contextlib.suppress(KeyError, OSError):
        if getpass.getuser() in parts:
            return True
    home = str(Path.home())
    if home not in ("/", "") and (text == home or text.startswith(home.rstrip("/\\") + os.sep)):
        return True
    if len(parts) < 2:
        return False
    try:  # /data/sets/x, /tmp/run: it starts at a folder this machine has
        return (Path(text).anchor and Path(Path(text).anchor, parts[0]).is_dir()) is True
    except (OSError, ValueError):
        return False


def save_voice(
    voice_dir: Path,
    cfg: VoiceConfig,
    model_state: Mapping[str, torch.Tensor],
    *,
    vocoder_state: Mapping[str, torch.Tensor] | None = None,
    dtype: torch.dtype | None = None,
    card: str | None = None,
) -> Path:
    """Write a complete voice folder (weights optionally cast, e.g. to float16 for shipping)."""
    voice_dir.mkdir(parents=True, exist_ok=True)

    def cast(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {
            k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v)
            for k, v in state.items()
        }

    from glowtts_cli.state_dict import save_safetensors

    save_safetensors(cast(model_state), voice_dir / MODEL_FILE)
    if vocoder_state is not None:
        save_safetensors(cast(vocoder_state), voice_dir / VOCODER_FILE)
    save_json(cfg, voice_dir / CONFIG_FILE)
    atomic_write_text(voice_dir / CARD_FILE, card or model_card(cfg))
    return voice_dir


def load_model_state(voice_dir: Path) -> dict[str, torch.Tensor]:
    """The acoustic model's weights as float32 tensors.

    Raises:
        CheckpointError: a weight is not floating point (int8 would be cast to nonsense), or
            holds NaN or infinite values (the voice would speak noise).
    """
    from glowtts_cli.state_dict import load_safetensors

    path = voice_dir / MODEL_FILE
    state = load_safetensors(path, hint="Re-download or re-export the voice.")
    check_weights(state, source=str(path))
    return {k: v.float() for k, v in state.items()}


def check_weights(state: Mapping[str, torch.Tensor], *, source: str) -> None:
    """Every weight is floating point and finite, or CheckpointError names the keys."""
    import torch

    from glowtts_cli.state_dict import listed

    integer = sorted(f"{k} ({v.dtype})".replace("torch.", "") for k, v in state.items()
                     if not v.is_floating_point())  # fmt: skip
    if integer:
        raise CheckpointError(
            f"{source} holds weights that are not floating point: {listed(integer)}.",
            hint="Voices store float32, float16 or bfloat16 weights; quantized weights cannot "
            "be loaded. Re-export the voice.",
        )
    broken = sorted(k for k, v in state.items() if not bool(torch.isfinite(v).all()))
    if broken:
        raise CheckpointError(
            f"{source} holds NaN or infinite values in {listed(broken)}.",
            hint="The weights are damaged (or a training run diverged); re-download or re-export "
            "the voice.",
        )


def check_voice(voice_dir: Path) -> VoiceConfig:
    """Validate a whole voice folder: the config, and weights that load strictly into its model."""
    from glowtts_cli.model.glow_tts import GlowTTS
    from glowtts_cli.state_dict import load_state_dict_strict

    cfg = read_voice_config(voice_dir)
    if not (voice_dir / MODEL_FILE).is_file():
        raise VoiceNotFoundError(
            f"{voice_dir} has no {MODEL_FILE}.",
            hint="A voice folder holds config.json and model.safetensors; re-export the voice.",
        )
    model = GlowTTS(cfg.model).prepare_for_inference()
    load_state_dict_strict(model, load_model_state(voice_dir), source=str(voice_dir / MODEL_FILE))
    return cfg


def export_model_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The inference weights of a GlowTTS model: a folded copy, so the original stays trainable."""
    import copy

    from glowtts_cli.model.glow_tts import GlowTTS

    if not isinstance(model, GlowTTS):
        raise TypeError(f"expected a GlowTTS model, got {type(model).__name__}")
    folded = copy.deepcopy(model).cpu().prepare_for_inference()
    return {k: v.detach().clone() for k, v in folded.state_dict().items()}
