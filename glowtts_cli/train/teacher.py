"""Distillation targets for vocoder training: a teacher vocoder's waveform for each clip's mel.

A vocoder that learns the recordings must guess their phase, which an 80-band mel does not fix,
and a regression loss then averages the guesses into a muffled, buzzy sound. A deterministic
teacher (HiFi-GAN V1) is a function of the mel, phase included, so its output for a clip's mel
is a well-posed target for the same mel (``glowtts vocoder train --teacher``). Rendering costs a
real-time factor of about 1 on one CPU thread, so a run renders a seeded subset of the training
clips once, into ``run_dir/teacher/`` (one ``.npy`` per clip, written atomically: an interrupted
rendering resumes where it stopped).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from glowtts_cli.config import AudioConfig
from glowtts_cli.data.prepare import PreparedDataset, PreparedUtterance
from glowtts_cli.errors import ConfigError, DatasetError
from glowtts_cli.files import atomic_write_bytes
from glowtts_cli.vocoder import Vocoder, load_bundled, load_vocoder_from_dir
from glowtts_cli.vocoder.bundled import BUNDLED

__all__ = ["TEACHER_DIR", "TeacherTargets", "load_teacher", "select_clips"]

TEACHER_DIR = "teacher"
"""Folder of a vocoder run that holds the teacher's renderings."""


def load_teacher(source: str, audio: AudioConfig) -> Vocoder:
    """A bundled vocoder by name (``universal``) or a vocoder folder, checked against ``audio``."""
    teacher = load_bundled(source) if source in BUNDLED else load_vocoder_from_dir(source)
    if teacher.hop_length != audio.hop_length or teacher.n_mels != audio.n_mels:
        raise ConfigError(
            f"Teacher vocoder '{source}' expects hop {teacher.hop_length} and {teacher.n_mels} "
            f"mel bands; this run uses hop {audio.hop_length} and {audio.n_mels}.",
            hint="Pick a teacher trained with the same audio settings.",
        )
    if isinstance(teacher, torch.nn.Module):
        teacher.eval()
    return teacher


def select_clips(
    clips: Sequence[PreparedUtterance], limit: int, seed: int
) -> list[PreparedUtterance]:
    """``limit`` clips drawn without replacement by ``seed`` (all of them when ``limit`` is 0),
    in their original order; the same arguments always give the same clips."""
    if limit <= 0 or limit >= len(clips):
        return list(clips)
    chosen = np.random.default_rng(seed).choice(len(clips), size=limit, replace=False)
    return [clips[int(i)] for i in sorted(chosen)]


class TeacherTargets:
    """The teacher's waveform ``[T_y * hop]`` of each chosen clip, rendered once and then read."""

    def __init__(self, run_dir: Path, clips: Sequence[PreparedUtterance], hop_length: int) -> None:
        self.directory = run_dir / TEACHER_DIR
        self.clips = list(clips)
        self.hop = hop_length

    def path(self, utt: PreparedUtterance) -> Path:
        """Where ``utt``'s rendering lives."""
        return self.directory / f"{Path(utt.file).stem}.npy"

    def missing(self) -> list[PreparedUtterance]:
        """Chosen clips not rendered yet."""
        return [u for u in self.clips if not self.path(u).is_file()]

    @torch.inference_mode()
    def render(
        self,
        prepared: PreparedDataset,
        teacher: Vocoder,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Render every missing clip (each file atomically, so a stop loses at most one clip)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        todo = self.missing()
        for done, utt in enumerate(todo, start=1):
            _, mel = prepared.waveform(utt)  # [M, T_y]
            wav = teacher.vocode(torch.from_numpy(mel)[None])[0]  # [T_y * hop]
            buffer = io.BytesIO()
            np.save(buffer, wav.numpy().astype(np.float32))
            atomic_write_bytes(self.path(utt), buffer.getvalue())
            if on_progress is not None:
                on_progress(done, len(todo))

    def waveform(self, utt: PreparedUtterance) -> np.ndarray:
        """The teacher's float32 waveform ``[T_y * hop]`` for ``utt``'s mel."""
        path = self.path(utt)
        try:
            wav = np.load(path)
        except (OSError, ValueError, EOFError) as e:
            raise DatasetError(
                f"Teacher rendering {path} is missing or damaged.",
                issues=[],
                hint="Delete it and run the same command again; it renders what is missing.",
            ) from e
        if wav.shape != (utt.n_frames * self.hop,):
            raise DatasetError(
                f"Teacher rendering {path} has {wav.shape[0]} samples, expected "
                f"{utt.n_frames * self.hop}.",
                issues=[],
                hint="Delete it and run the same command again; it renders what is missing.",
            )
        return np.asarray(wav, dtype=np.float32)
