"""What a new voice run trains: ``train`` (a preset model, espeak) or ``finetune`` (a voice).

The dataset is read once (:class:`Recordings`): its manifest, its audio's length and each
transcript's phonemes are computed on first use and handed on to the dataset check and the
feature preparation, so espeak-ng runs over every transcript once per run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from glowtts_cli.config import (
    AudioConfig,
    ModelConfig,
    TextConfig,
    TrainConfig,
    VocoderConfig,
    VoiceConfig,
    load_json,
)
from glowtts_cli.data.manifest import Manifest, read_manifest
from glowtts_cli.data.validate import FINETUNE_GOOD_SECONDS, FINETUNE_MIN_SECONDS
from glowtts_cli.errors import ConfigError, GlowTTSError, TrainingError
from glowtts_cli.hub import resolve
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.symbols import default_symbols
from glowtts_cli.train.runs import RunSpec
from glowtts_cli.train.warmstart import (
    MULTI_SPEAKER_GIN,
    extend_symbols,
    speaker_model,
    speaker_table,
    warm_start,
)
from glowtts_cli.voice_folder import load_model_state, read_voice_config

ModelFactory = Callable[[], GlowTTS]
"""Builds the model a new run starts from (a voice's weights, grown to the new tables)."""


class _RememberingFrontend(TextFrontend):
    """A front end that phonemizes each text once, into a dict it may share with front ends
    of the same language (planning uses the base table, training the grown one)."""

    def __init__(self, config: TextConfig, phonemes: dict[str, str]) -> None:
        super().__init__(config)
        self._phonemes = phonemes

    def phonemize(self, text: str) -> str:
        """As :meth:`TextFrontend.phonemize`, computed once per text."""
        found = self._phonemes.get(text)
        if found is None:
            found = self._phonemes[text] = super().phonemize(text)
        return found


class Recordings:
    """A dataset folder, read once for a run: manifest, audio length, transcripts' phonemes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._phonemes: dict[tuple[str, str], dict[str, str]] = {}

    @cached_property
    def manifest(self) -> Manifest:
        """The dataset's utterances (read on first use)."""
        return read_manifest(self.data_dir.resolve())

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speakers the manifest names."""
        return self.manifest.speakers

    @cached_property
    def seconds(self) -> float:
        """Seconds of audio the clips hold, from their headers (unreadable ones count 0: the
        checker reports them)."""
        from glowtts_cli.audio.io import info

        total = 0.0
        for utt in self.manifest.utterances:
            try:
                total += info(utt.audio).duration
            except GlowTTSError:
                continue
        return total

    def frontend(self, text: TextConfig) -> TextFrontend:
        """A front end for ``text`` that phonemizes each transcript once, however many steps
        ask (new symbols, the dataset check, feature preparation)."""
        memo = self._phonemes.setdefault((text.phonemizer, text.language), {})
        return _RememberingFrontend(text, memo)

    def new_symbols(self, text: TextConfig) -> list[str]:
        """Symbols the transcripts need that ``text``'s table lacks (espeak voices)."""
        if text.phonemizer == "official":
            return []
        frontend = self.frontend(text)
        found: dict[str, None] = {}
        for utt in self.manifest.utterances:
            if not utt.text.strip():
                continue
            try:
                phonemes = frontend.phonemize(utt.text)
            except Exception:  # the checker reports unreadable transcripts
                continue
            found.update(dict.fromkeys(ch for ch in phonemes if ch not in text.symbols))
        return list(found)


def _recordings(data: Path | Recordings) -> Recordings:
    return data if isinstance(data, Recordings) else Recordings(data)


def model_preset(config: str, n_vocab: int) -> ModelConfig:
    """``base``/``small``/``tiny`` or a JSON file holding a ModelConfig.

    Presets get the standard 80 mel bands (``tiny`` included), so that the bundled HiFi-GAN
    can voice them; a JSON config keeps its own ``n_mels``.
    """
    path = Path(config)
    if path.suffix == ".json" or path.is_file():
        cfg = load_json(ModelConfig, path)
        return dataclasses.replace(cfg, n_vocab=n_vocab)
    return dataclasses.replace(
        ModelConfig.preset(config, n_vocab=n_vocab), n_mels=AudioConfig().n_mels
    )


def plan_train(
    data: Path | Recordings,
    *,
    config: str | None = None,
    language: str | None = None,
    add_blank: bool | None = None,
    name: str | None = None,
    train: TrainConfig | None = None,
    like: VoiceConfig | None = None,
) -> RunSpec:
    """What ``glowtts train`` trains: espeak front end, a preset model, the data's speakers.

    ``config`` (default ``small``), ``language`` (``en-us``) and ``add_blank`` (True) left as
    None take, with ``like`` (the voice of a run being resumed), that voice's own.
    """
    recordings = _recordings(data)
    if language is None:
        language = like.language if like else "en-us"
    if add_blank is None:
        add_blank = like is None or like.text.add_blank
    symbols = default_symbols("espeak")
    text = TextConfig(language=language, phonemizer="espeak", symbols=symbols, add_blank=add_blank)
    model = model_preset(config or "small", text.n_vocab)
    speakers = recordings.speakers
    if len(speakers) > 1:
        model = dataclasses.replace(
            model, n_speakers=len(speakers), gin_channels=model.gin_channels or MULTI_SPEAKER_GIN
        )
    if like is not None and config is None:
        model = like.model  # the run's own model, whatever preset made it
    standard = model.n_mels == AudioConfig().n_mels
    data_dir = recordings.data_dir.resolve()
    voice = VoiceConfig(
        name=name or data_dir.name,
        language=language,
        license="unknown",
        text=text,
        audio=AudioConfig(n_mels=model.n_mels),
        model=model,
        # The bundled HiFi-GAN needs 80 mel bands; other mel counts fall back to Griffin-Lim.
        vocoder=VocoderConfig() if standard else VocoderConfig(kind="griffin-lim"),
        speakers=speakers if len(speakers) > 1 else (),
    )
    return RunSpec("train", str(data_dir), voice, train or TrainConfig())


def audio_seconds(data_dir: Path) -> float:
    """Seconds of audio the dataset's clips hold (see :attr:`Recordings.seconds`)."""
    return Recordings(data_dir).seconds


def check_enough_data(data: Path | Recordings) -> None:
    """Refuse a fine-tune on less audio than :data:`FINETUNE_MIN_SECONDS` (measured: less
    makes a worse voice than the base one), saying how much more is needed."""
    recordings = _recordings(data)
    seconds = recordings.seconds
    if seconds < FINETUNE_MIN_SECONDS:
        raise TrainingError(
            f"{recordings.data_dir} holds {seconds:.0f} s of audio; fine-tuning needs at least "
            f"{FINETUNE_MIN_SECONDS:.0f} s ({FINETUNE_MIN_SECONDS - seconds:.0f} s more).",
            hint=f"Record more clips ({FINETUNE_GOOD_SECONDS / 60:.0f} minutes or more make a "
            "closer voice), or pass --allow-little-data to try anyway.",
        )


def _with_language(base: VoiceConfig, language: str | None) -> TextConfig:
    """The base voice's front end, speaking ``language`` (an espeak-ng language) when given."""
    if language is None or language == base.text.language:
        return base.text
    if base.text.phonemizer != "espeak":
        raise ConfigError(
            f"The base voice's front end ({base.text.phonemizer}) speaks {base.text.language} "
            "only; it cannot switch to another language.",
            hint="Fine-tune an espeak voice, or leave --language out.",
        )
    return dataclasses.replace(base.text, language=language)


def plan_finetune(
    data: Path | Recordings,
    base_spec: str,
    *,
    name: str | None = None,
    train: TrainConfig | None = None,
    language: str | None = None,
) -> tuple[RunSpec, VoiceConfig, Path]:
    """What ``glowtts finetune`` will train, and the base voice's config and folder.

    ``language`` moves the voice to another espeak-ng language: symbols its phonemes need
    that the base voice lacks are added (as for any new symbol), the rest keep their rows.
    """
    recordings = _recordings(data)
    data_dir = recordings.data_dir.resolve()
    base_dir = resolve(base_spec).path
    base = read_voice_config(base_dir)
    spoken = _with_language(base, language)
    text = extend_symbols(spoken, recordings.new_symbols(spoken))
    speakers, _ = speaker_table(base, recordings.speakers)
    voice = dataclasses.replace(
        base,
        name=name or data_dir.name,
        description=f"Fine-tuned from {base.name} on {data_dir.name}.",
        language=text.language,
        text=text,
        model=speaker_model(base.model, text, speakers),
        speakers=speakers or base.speakers,
    )
    train = train or TrainConfig.finetune()
    return RunSpec("finetune", str(data_dir), voice, train, base_voice=base_spec), base, base_dir


def warm_started(
    data: Recordings,
    base_voice: str,
    *,
    name: str | None,
    train: TrainConfig | None,
    language: str | None = None,
) -> tuple[RunSpec, VoiceConfig, ModelFactory]:
    """The fine-tune plan for ``data`` from ``base_voice``, the base voice's config, and the
    model it starts from."""
    spec, base, base_dir = plan_finetune(
        data, base_voice, name=name, train=train, language=language
    )
    _, rows = speaker_table(base, spec.voice.speakers)
    voice = spec.voice

    def make_model() -> GlowTTS:
        folded = load_model_state(base_dir)
        return warm_start(
            base, folded, text=voice.text, model=voice.model, rows=rows, seed=spec.train.seed
        )

    return spec, base, make_model
