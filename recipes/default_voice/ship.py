"""Step 5 of the recipe: put a trained voice into the package (``voices/<name>/`` + catalog entry).

Takes a run's checkpoint (``--which best|last``), stores the weights in float16 (half the size;
loading casts back to float32), writes an honest model card with the measured word error rates,
and writes ``voices/<name>.json`` (bundled, with the sha256 of every file).

    python recipes/default_voice/ship.py --run ~/glowtts-runs/slt --name en-us-slt \\
        --checkpoint ~/glowtts-runs/slt/checkpoints/step_00002000.pt \\
        --wer-voice 4.72 --mos-voice 3.946 --wer-teacher 4.90 --mos-teacher 3.415 \\
        --wer-copy 5.61 --mos-copy 4.024 --wer-griffin-lim 4.63 --sentences 100

With ``--vocoder DIR`` (a Vocos folder from ``glowtts vocoder export``) the voice carries its own
vocoder as ``vocoder.safetensors`` (float16) and uses it by default; ``--wer-voice/--mos-voice``
are then the figures with that vocoder and ``--wer-v1/--mos-v1`` those with HiFi-GAN V1
(``--vocoder universal`` still selects V1).

The step count in the card is the voice's whole training: a run started from a shipped voice
(``train.sh`` uses ``--init-from``) adds its steps to the ones the voice already had.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch

from glowtts_cli.config import InferenceDefaults, VocoderConfig, VoiceConfig
from glowtts_cli.files import sha256_file
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.train.checkpoint import (
    BEST_NAME,
    checkpoint_dir,
    latest_checkpoint,
    load_checkpoint,
)
from glowtts_cli.train.runs import RunSpec
from glowtts_cli.vocoder import VocosGenerator, load_vocoder_from_dir
from glowtts_cli.voice_folder import (
    VOCODER_FILE,
    export_model_state,
    load_model_state,
    model_card,
    read_voice_config,
    save_voice,
)

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, help="training run folder to ship from")
    source.add_argument(
        "--voice", type=Path, help="a shipped voice folder: same weights, new card and figures"
    )
    parser.add_argument(
        "--earlier-steps", type=int, default=0,
        help="with --voice: steps of the voice's training done in earlier runs (for the card)",
    )  # fmt: skip
    parser.add_argument("--name", required=True)
    parser.add_argument("--which", default="best", choices=["best", "last"])
    parser.add_argument("--checkpoint", type=Path, help="this checkpoint instead of --which")
    parser.add_argument("--wer-voice", type=float, required=True)
    parser.add_argument("--mos-voice", type=float, required=True, help="DistillMOS")
    parser.add_argument("--wer-teacher", type=float, required=True)
    parser.add_argument("--mos-teacher", type=float, required=True)
    parser.add_argument("--wer-copy", type=float, required=True, help="teacher mels through V1")
    parser.add_argument("--mos-copy", type=float, required=True)
    parser.add_argument("--wer-griffin-lim", type=float, required=True)
    parser.add_argument("--sentences", type=int, required=True)
    parser.add_argument("--vocoder", type=Path, help="Vocos folder the voice carries")
    parser.add_argument("--wer-v1", type=float, help="with --vocoder: WER through V1")
    parser.add_argument("--mos-v1", type=float, help="with --vocoder: DistillMOS through V1")
    parser.add_argument("--noise-scale", type=float, default=0.667, help="the voice's default")
    parser.add_argument("--note", default="", help="appended to the card's notes (e.g. tuning)")
    parser.add_argument("--out", type=Path, default=REPO / "voices")
    args = parser.parse_args()

    base, model_state, steps, offset, batch, losses = _weights(args)
    hidden = base.model.encoder.hidden_channels
    vocoder_cfg, vocoder_state, own = VocoderConfig(kind="hifigan", source="universal"), None, ""
    if args.vocoder is not None:
        vocos = load_vocoder_from_dir(args.vocoder)
        if not isinstance(vocos, VocosGenerator) or args.wer_v1 is None or args.mos_v1 is None:
            raise SystemExit("--vocoder takes a Vocos folder, with --wer-v1 and --mos-v1")
        vocoder_cfg = VocoderConfig(kind="vocos", source="voice", vocos=vocos.cfg)
        vocoder_state = vocos.state_dict()
        own = (
            f"this voice through its own Vocos vocoder (distilled from HiFi-GAN V1, "
            f"{sum(v.numel() for v in vocoder_state.values()) / 1e6:.1f} M parameters) "
            f"{args.wer_voice:.2f} % (DistillMOS {args.mos_voice:.2f}), "
        )
        args.wer_voice, args.mos_voice = args.wer_v1, args.mos_v1
    wer = (
        f"{own}this voice through HiFi-GAN V1 UNIVERSAL {args.wer_voice:.2f} % (DistillMOS "
        f"{args.mos_voice:.2f}), the teacher's own audio {args.wer_teacher:.2f} % "
        f"({args.mos_teacher:.2f}), the teacher's mels through the same vocoder "
        f"{args.wer_copy:.2f} % ({args.mos_copy:.2f}), Griffin-Lim resynthesis of the teacher "
        f"{args.wer_griffin_lim:.2f} %"
    )
    continued = (
        f" ({offset} of them in an earlier run whose weights this one continued)" if offset else ""
    )
    notes = (
        f"Trained from scratch with `glowtts train` ({hidden}-channel `small` preset, blank "
        f"token, batch {batch}) for {steps} steps{continued} on a 2-core CPU, "
        "on 4.1 hours "
        "of speech that Festival's cmu_us_slt_arctic_hts voice (female US English, BSD-style "
        "license) read from 3,900 sentences collected offline (recipes/default_voice). "
        f"Whisper base word error rate and DistillMOS on {args.sentences} held-out sentences: "
        f"{wer}. It is intelligible but not natural yet: it imitates a synthetic voice, was "
        "trained briefly"
        + (
            ", and its vocoder was distilled on a CPU. "
            if own
            else ", and uses a universal (not fine-tuned) vocoder. "
        )
        + "Weights in float16."
        + (f" {args.note}" if args.note else "")
    )
    training = dataclasses.replace(
        base.training,
        dataset="Festival cmu_us_slt_arctic_hts reading 3,900 sentences (recipes/default_voice)",
        hours=4.07,
        steps=steps,
        notes=notes,
        final_losses=losses,
    )
    voice = dataclasses.replace(
        base,
        name=args.name,
        description="US English, female (synthetic teacher), trained by glowtts-cli.",
        license="MIT",
        vocoder=vocoder_cfg,
        inference=InferenceDefaults(
            noise_scale=args.noise_scale, length_scale=1.0, sentence_silence=0.2
        ),
        training=training,
    )
    folder = args.out / args.name
    if folder.is_dir():  # a vocoder shipped before must not outlive a voice without one
        (folder / VOCODER_FILE).unlink(missing_ok=True)
    save_voice(
        folder, voice, model_state, vocoder_state=vocoder_state,
        dtype=torch.float16, card=model_card(voice),
    )  # fmt: skip
    files = {f.name: sha256_file(f) for f in sorted(folder.iterdir()) if f.is_file()}
    entry = {
        "name": args.name,
        "description": voice.description,
        "language": voice.language,
        "sample_rate": voice.audio.sample_rate,
        "license": voice.license,
        "bundled": True,
        "files": files,
    }
    (args.out / f"{args.name}.json").write_text(json.dumps(entry, indent=2) + "\n", "utf-8")
    size = sum((folder / f).stat().st_size for f in files)
    print(f"shipped {folder} ({size / 1e6:.1f} MB, step {steps})")


def _weights(
    args: argparse.Namespace,
) -> tuple[VoiceConfig, dict[str, torch.Tensor], int, int, int, dict[str, float]]:
    """What ships: the voice's config, its inference weights, its whole step count, the steps
    done by earlier runs, the batch size and the final losses; from a run's checkpoint or
    (``--voice``) from a shipped voice folder, whose float16 weights are kept bit for bit."""
    if args.voice is not None:
        voice = read_voice_config(args.voice)
        state = load_model_state(args.voice)
        return (voice, state, voice.training.steps, args.earlier_steps, 16,
                dict(voice.training.final_losses))  # fmt: skip
    spec = RunSpec.read(args.run)
    if spec is None:
        raise SystemExit(f"{args.run} is not a training run folder")
    best = checkpoint_dir(args.run) / BEST_NAME
    path = best if args.which == "best" and best.is_file() else latest_checkpoint(args.run)
    if args.checkpoint is not None:
        path = args.checkpoint
    if path is None:
        raise SystemExit(f"{args.run} has no checkpoint")
    ckpt = load_checkpoint(path)
    model = GlowTTS(spec.voice.model)
    model.load_state_dict(ckpt["model"])
    offset = spec.train.schedule_offset
    losses = {"val_loss": float(ckpt["best_val"])} if ckpt.get("best_val") else {}
    print(f"from {path.name}")
    return (spec.voice, export_model_state(model), offset + int(ckpt["step"]), offset,
            spec.train.batch_size, losses)  # fmt: skip


if __name__ == "__main__":
    main()
