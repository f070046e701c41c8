"""``glowtts export``: a voice folder from a run's best (or last) checkpoint.

The weights load strictly into the run's model (every key and shape checked), and the card
records the data, steps and base voice by name only (a path would leak on push).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from glowtts_cli.config import TrainingInfo
from glowtts_cli.data.prepare import PreparedDataset
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.state_dict import load_state_dict_strict
from glowtts_cli.train.checkpoint import load_checkpoint
from glowtts_cli.train.loop import VAL_SCORES
from glowtts_cli.train.runs import RunSpec, chosen_checkpoint, existing_run
from glowtts_cli.voice_folder import export_model_state, public_name, save_voice

VOICE_DIR = "voice"
"""Where a run exports its voice by default, inside the run folder."""


def export(
    run_dir: Path,
    out: Path | None = None,
    *,
    which: str = "best",
    spec: RunSpec | None = None,
    prepared: PreparedDataset | None = None,
) -> Path:
    """Write a voice folder from a run's best (or last) checkpoint; default ``run_dir/voice``.

    ``spec`` and ``prepared``, when the caller holds them already (the end of a run), save
    reading run.json and the prepared manifest again.
    """
    spec = spec or existing_run(
        RunSpec.read, run_dir, what="training", command="glowtts train` or `glowtts finetune"
    )
    path = chosen_checkpoint(run_dir, which)
    state = load_checkpoint(path)
    model = GlowTTS(spec.voice.model)
    load_state_dict_strict(model, state["model"], source=str(path))
    prepared = prepared or PreparedDataset.read(run_dir)
    frames = sum(u.n_frames for u in (*prepared.train, *prepared.val))
    audio = spec.voice.audio
    info = TrainingInfo(
        dataset=public_name(spec.data_dir),
        hours=round(frames * audio.hop_length / audio.sample_rate / 3600, 3),
        steps=int(state["step"]),
        base_voice=public_name(spec.base_voice),
        final_losses={f"val_{VAL_SCORES[spec.train.val_metric]}": float(state["best_val"])}
        if state.get("best_val")
        else {},
        notes=f"Trained with glowtts-cli ({spec.kind}); checkpoint {path.name}.",
    )
    voice = dataclasses.replace(spec.voice, training=info)
    return save_voice(out or run_dir / VOICE_DIR, voice, export_model_state(model))
