"""Frozen configuration dataclasses and their strict JSON (de)serialisation.

Pure Python (layer L0). Defaults equal the published Glow-TTS LJSpeech base model (the official
``configs/base.json``, Kim et al. 2020) and the official HiFi-GAN V1 audio settings.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from glowtts_cli.errors import ConfigError
from glowtts_cli.files import read_json, write_json

SCHEMA_VERSION = 1

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Generic strict (de)serialisation
# --------------------------------------------------------------------------------------------


def to_dict(cfg: Any) -> dict[str, Any]:
    """Turn a config dataclass (nested) into plain JSON-ready data."""
    return typing.cast(dict[str, Any], _to_plain(cfg))


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    return value


def from_dict(cls: type[T], data: Any, *, where: str = "config") -> T:
    """Build ``cls`` from plain data. Unknown keys are an error naming the closest known key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object, got {type(data).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        parts = []
        for key in unknown:
            close = difflib.get_close_matches(key, list(fields), n=1)
            parts.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ConfigError(
            f"{where}: unknown key {', '.join(parts)}.",
            hint=f"Known keys: {', '.join(sorted(fields))}.",
        )
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        kwargs[name] = _from_plain(hints[name], value, where=f"{where}.{name}")
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(missing)}.")
    try:
        return cls(**kwargs)
    except ConfigError as e:  # a cross-field check in __post_init__: say which file (or section)
        raise ConfigError(f"{where}: {e.message}", hint=e.hint) from e
    except TypeError as e:  # pragma: no cover - guarded by the checks above
        raise ConfigError(f"{where}: {e}") from e


def _from_plain(tp: Any, value: Any, *, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _from_plain(non_none[0], value, where=where)
    if dataclasses.is_dataclass(tp):
        return from_dict(typing.cast(type, tp), value, where=where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}.")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], v, where=where) for v in value)
        return tuple(_from_plain(a, v, where=where) for a, v in zip(args, value, strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected an object, got {value!r}.")
        return {str(k): _from_plain(args[1], v, where=f"{where}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}.")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}.")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}.")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}.")
        return value
    return value


def save_json(cfg: Any, path: str | Path) -> None:
    """Write a config as indented, key-sorted JSON, atomically (the one config writer)."""
    write_json(path, to_dict(cfg))


def load_json(cls: type[T], path: str | Path) -> T:
    """Read a config JSON file strictly."""
    fix = f"Correct {path} and run the command again."
    try:
        return from_dict(cls, read_json(path, hint=fix), where=str(path))
    except ConfigError as e:
        e.hint = e.hint or fix
        raise


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EncoderConfig:
    """Text encoder: embedding, optional prenet, relative-position transformer, prior projection."""

    hidden_channels: int = 192
    """Width of token embeddings and transformer states."""
    filter_channels: int = 768
    """Inner width of each transformer layer's convolutional feed-forward net."""
    n_heads: int = 2
    """Attention heads."""
    n_layers: int = 6
    """Transformer layers."""
    kernel_size: int = 3
    """Kernel of the feed-forward convolutions."""
    p_dropout: float = 0.1
    """Dropout inside the transformer."""
    window_size: int | None = 4
    """Relative-position window (keys and values); None disables relative positions."""
    block_length: int | None = None
    """Local attention band (None = full attention), as in the official code."""
    prenet: bool = True
    """Use the 3-layer ConvReluNorm prenet before the transformer."""
    mean_only: bool = True
    """Predict only the prior mean (log-std fixed to 0) instead of mean and log-std."""

    def __post_init__(self) -> None:
        _check(self.hidden_channels > 0 and self.n_heads > 0, "encoder sizes must be positive")
        _check(
            self.hidden_channels % self.n_heads == 0,
            f"encoder.hidden_channels ({self.hidden_channels}) must be divisible by "
            f"encoder.n_heads ({self.n_heads})",
        )
        _check(self.n_layers >= 1, "encoder.n_layers must be >= 1")
        _check(self.kernel_size % 2 == 1, "encoder.kernel_size must be odd")
        _check(0.0 <= self.p_dropout < 1.0, "encoder.p_dropout must be in [0, 1)")
        _check(self.window_size is None or self.window_size >= 1, "window_size must be >= 1")


@dataclass(frozen=True, kw_only=True)
class DurationConfig:
    """Duration predictor run on detached encoder states."""

    filter_channels: int = 256
    """Width of its two convolutions."""
    kernel_size: int = 3
    """Kernel of its convolutions."""
    p_dropout: float = 0.1
    """Dropout after each convolution."""

    def __post_init__(self) -> None:
        _check(self.filter_channels > 0, "duration.filter_channels must be positive")
        _check(self.kernel_size % 2 == 1, "duration.kernel_size must be odd")
        _check(0.0 <= self.p_dropout < 1.0, "duration.p_dropout must be in [0, 1)")


@dataclass(frozen=True, kw_only=True)
class DecoderConfig:
    """Flow decoder: squeeze, n_blocks x [ActNorm, InvConvNear, AffineCoupling], unsqueeze."""

    hidden_channels: int = 192
    """Width of each coupling layer's WaveNet-style net."""
    kernel_size: int = 5
    """Kernel of the WaveNet convolutions."""
    dilation_rate: int = 1
    """Dilation growth per WaveNet layer."""
    n_blocks: int = 12
    """Flow blocks."""
    n_layers: int = 4
    """WaveNet layers per coupling net."""
    p_dropout: float = 0.05
    """Dropout inside the coupling nets."""
    n_split: int = 4
    """Channel-group size of the invertible 1x1 convolution."""
    n_sqz: int = 2
    """Squeeze factor: frames folded into channels."""
    sigmoid_scale: bool = False
    """Squash the coupling scale with a sigmoid instead of exp."""

    def __post_init__(self) -> None:
        _check(self.n_blocks >= 1 and self.n_layers >= 1, "decoder block/layer counts must be >= 1")
        _check(self.n_split % 2 == 0 and self.n_split >= 2, "decoder.n_split must be even")
        _check(self.n_sqz >= 1, "decoder.n_sqz must be >= 1")
        _check(self.kernel_size % 2 == 1, "decoder.kernel_size must be odd")
        _check(0.0 <= self.p_dropout < 1.0, "decoder.p_dropout must be in [0, 1)")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """A whole Glow-TTS acoustic model."""

    n_vocab: int = 148
    """Number of token ids (symbol table size, + 1 when a blank is interspersed)."""
    n_mels: int = 80
    """Mel bands the model produces."""
    n_speakers: int = 0
    """Speakers; 0 or 1 means a single-speaker model with no speaker embedding."""
    gin_channels: int = 0
    """Speaker embedding width (needed when n_speakers > 1)."""
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    """Text encoder."""
    duration: DurationConfig = field(default_factory=DurationConfig)
    """Duration predictor."""
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    """Flow decoder."""

    def __post_init__(self) -> None:
        _check(self.n_vocab >= 2, "model.n_vocab must be >= 2")
        _check(
            (self.n_mels * self.decoder.n_sqz) % self.decoder.n_split == 0,
            f"n_mels * n_sqz ({self.n_mels * self.decoder.n_sqz}) must be divisible by "
            f"n_split ({self.decoder.n_split})",
        )
        _check(
            self.n_speakers <= 1 or self.gin_channels > 0,
            "a multi-speaker model (n_speakers > 1) needs gin_channels > 0",
        )

    @property
    def multi_speaker(self) -> bool:
        """True when the model has a speaker embedding."""
        return self.n_speakers > 1

    @classmethod
    def base(cls, n_vocab: int = 148) -> ModelConfig:
        """The official ``configs/base.json`` model (28.6 M parameters with 148 symbols)."""
        return cls(n_vocab=n_vocab)

    @classmethod
    def small(cls, n_vocab: int = 148) -> ModelConfig:
        """A ~7 M-parameter model that trains several times faster on a CPU."""
        return cls(
            n_vocab=n_vocab,
            encoder=EncoderConfig(hidden_channels=128, filter_channels=512, n_layers=4),
            duration=DurationConfig(filter_channels=192),
            decoder=DecoderConfig(hidden_channels=128, n_blocks=8, n_layers=3),
        )

    @classmethod
    def tiny(cls, n_vocab: int = 40, n_mels: int = 16) -> ModelConfig:
        """A model of a few thousand parameters for tests."""
        return cls(
            n_vocab=n_vocab,
            n_mels=n_mels,
            encoder=EncoderConfig(
                hidden_channels=32, filter_channels=64, n_layers=2, p_dropout=0.0
            ),
            duration=DurationConfig(filter_channels=32, p_dropout=0.0),
            decoder=DecoderConfig(hidden_channels=32, n_blocks=2, n_layers=2, p_dropout=0.0),
        )

    @classmethod
    def preset(cls, name: str, n_vocab: int = 148) -> ModelConfig:
        """Look a preset up by name: ``base``, ``small`` or ``tiny``."""
        presets = {"base": cls.base, "small": cls.small, "tiny": cls.tiny}
        if name not in presets:
            close = difflib.get_close_matches(name, list(presets), n=1)
            raise ConfigError(
                f"Unknown model preset '{name}'."
                + (f" Did you mean '{close[0]}'?" if close else ""),
                hint=f"Presets: {', '.join(presets)}, or a path to a JSON config.",
            )
        return presets[name](n_vocab=n_vocab)

    @classmethod
    def from_official(cls, kwargs: dict[str, Any]) -> ModelConfig:
        """Translate the keyword arguments of the official ``FlowGenerator`` (its config)."""
        known = {
            "n_vocab", "hidden_channels", "filter_channels", "filter_channels_dp",
            "out_channels", "kernel_size", "n_heads", "n_layers_enc", "p_dropout",
            "n_blocks_dec", "kernel_size_dec", "dilation_rate", "n_block_layers",
            "p_dropout_dec", "n_speakers", "gin_channels", "n_split", "n_sqz",
            "sigmoid_scale", "window_size", "block_length", "mean_only",
            "hidden_channels_enc", "hidden_channels_dec", "prenet",
        }  # fmt: skip
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(f"Unknown official Glow-TTS config key(s): {', '.join(unknown)}.")
        # The official constructor defaults (models.py), used where a config leaves a key out.
        k: dict[str, Any] = {
            "filter_channels_dp": 256, "out_channels": 80, "kernel_size": 3, "n_heads": 2,
            "n_layers_enc": 6, "p_dropout": 0.0, "n_blocks_dec": 12, "kernel_size_dec": 5,
            "dilation_rate": 5, "n_block_layers": 4, "p_dropout_dec": 0.0, "n_speakers": 0,
            "gin_channels": 0, "n_split": 4, "n_sqz": 1, "sigmoid_scale": False,
            "window_size": None, "block_length": None, "mean_only": False,
            "hidden_channels_enc": None, "hidden_channels_dec": None, "prenet": False,
        }  # fmt: skip
        k.update(kwargs)
        hidden = k["hidden_channels"]
        return cls(
            n_vocab=k["n_vocab"],
            n_mels=k["out_channels"],
            n_speakers=k["n_speakers"],
            gin_channels=k["gin_channels"],
            encoder=EncoderConfig(
                hidden_channels=k["hidden_channels_enc"] or hidden,
                filter_channels=k["filter_channels"],
                n_heads=k["n_heads"],
                n_layers=k["n_layers_enc"],
                kernel_size=k["kernel_size"],
                p_dropout=k["p_dropout"],
                window_size=k["window_size"],
                block_length=k["block_length"],
                prenet=k["prenet"],
                mean_only=k["mean_only"],
            ),
            duration=DurationConfig(
                filter_channels=k["filter_channels_dp"],
                kernel_size=k["kernel_size"],
                p_dropout=k["p_dropout"],
            ),
            decoder=DecoderConfig(
                hidden_channels=k["hidden_channels_dec"] or hidden,
                kernel_size=k["kernel_size_dec"],
                dilation_rate=k["dilation_rate"],
                n_blocks=k["n_blocks_dec"],
                n_layers=k["n_block_layers"],
                p_dropout=k["p_dropout_dec"],
                n_split=k["n_split"],
                n_sqz=k["n_sqz"],
                sigmoid_scale=k["sigmoid_scale"],
            ),
        )


# --------------------------------------------------------------------------------------------
# Audio, text, vocoder
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AudioConfig:
    """Waveform and mel-spectrogram settings (HiFi-GAN's ``meldataset.mel_spectrogram``)."""

    sample_rate: int = 22050
    """Samples per second."""
    n_fft: int = 1024
    """FFT size."""
    hop_length: int = 256
    """Samples between mel frames."""
    win_length: int = 1024
    """Hann window length."""
    n_mels: int = 80
    """Mel bands (Slaney scale and normalisation)."""
    fmin: float = 0.0
    """Lowest mel band edge in Hz."""
    fmax: float | None = 8000.0
    """Highest mel band edge in Hz (None = Nyquist)."""

    def __post_init__(self) -> None:
        _check(self.sample_rate > 0 and self.hop_length > 0, "audio rates must be positive")
        _check(self.win_length <= self.n_fft, "audio.win_length must be <= audio.n_fft")
        _check(self.n_fft >= self.hop_length, "audio.n_fft must be >= audio.hop_length")
        nyquist = self.sample_rate / 2
        _check(
            self.fmax is None or (self.fmin < self.fmax <= nyquist),
            f"audio.fmax must lie in (fmin, {nyquist}]",
        )


@dataclass(frozen=True, kw_only=True)
class TextConfig:
    """The text front end a voice was trained with; saved with the voice so ids never drift."""

    language: str = "en-us"
    """espeak-ng language code (or ``en`` for the official CMUdict front end)."""
    phonemizer: str = "espeak"
    """``espeak`` (IPA phonemes), ``official`` (english_cleaners + CMUdict) or ``characters``."""
    symbols: tuple[str, ...] = ()
    """The symbol table; a symbol's index is its id. Index 0 is the pad symbol."""
    add_blank: bool = False
    """Intersperse a blank id (= len(symbols)) between tokens, as the official ``add_blank``."""

    def __post_init__(self) -> None:
        _check(
            self.phonemizer in ("espeak", "official", "characters"),
            f"text.phonemizer must be espeak, official or characters, not '{self.phonemizer}'",
        )
        _check(len(set(self.symbols)) == len(self.symbols), "text.symbols has duplicates")

    @property
    def n_vocab(self) -> int:
        """The number of ids the model must embed."""
        return len(self.symbols) + (1 if self.add_blank else 0)


@dataclass(frozen=True, kw_only=True)
class HiFiGANConfig:
    """The official HiFi-GAN generator hyperparameters (V1 defaults)."""

    resblock: str = "1"
    """Residual block type: ``1`` (two conv stacks) or ``2`` (one)."""
    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    """Upsampling factor per stage; their product is the hop length."""
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    """Transposed-convolution kernel per stage."""
    upsample_initial_channel: int = 512
    """Channels after the first convolution; halved at each stage."""
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    """Kernel of each parallel residual block."""
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    """Dilations inside each residual block."""
    n_mels: int = 80
    """Input mel bands."""

    def __post_init__(self) -> None:
        _check(
            self.resblock in ("1", "2"),
            f"hifigan.resblock must be '1' or '2', not {self.resblock!r}",
        )
        _check(
            len(self.upsample_rates) == len(self.upsample_kernel_sizes),
            "hifigan.upsample_rates and upsample_kernel_sizes differ in length",
        )
        _check(
            len(self.resblock_kernel_sizes) == len(self.resblock_dilation_sizes),
            "hifigan.resblock_kernel_sizes and resblock_dilation_sizes differ in length",
        )

    @property
    def hop_length(self) -> int:
        """Samples produced per mel frame."""
        return math.prod(self.upsample_rates)

    @classmethod
    def v1(cls) -> HiFiGANConfig:
        """Official V1 (13.9 M parameters)."""
        return cls()

    @classmethod
    def v2(cls) -> HiFiGANConfig:
        """Official V2 (0.9 M parameters)."""
        return cls(upsample_initial_channel=128)

    @classmethod
    def v3(cls) -> HiFiGANConfig:
        """Official V3 (1.5 M parameters)."""
        return cls(
            resblock="2",
            upsample_rates=(8, 8, 4),
            upsample_kernel_sizes=(16, 16, 8),
            upsample_initial_channel=256,
            resblock_kernel_sizes=(3, 5, 7),
            resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)),
        )

    @classmethod
    def from_official(cls, data: dict[str, Any]) -> HiFiGANConfig:
        """Read the generator fields of an official HiFi-GAN ``config.json`` (others ignored)."""
        try:
            return cls(
                resblock=str(data["resblock"]),
                upsample_rates=tuple(data["upsample_rates"]),
                upsample_kernel_sizes=tuple(data["upsample_kernel_sizes"]),
                upsample_initial_channel=int(data["upsample_initial_channel"]),
                resblock_kernel_sizes=tuple(data["resblock_kernel_sizes"]),
                resblock_dilation_sizes=tuple(tuple(d) for d in data["resblock_dilation_sizes"]),
                n_mels=int(data.get("num_mels", 80)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"Not an official HiFi-GAN config: {e!r}") from e


def _istft_covers(n_fft: int, hop_length: int, win_length: int) -> bool:
    """Whether overlap-adding hop-spaced periodic Hann windows (zero-padded to ``n_fft``) leaves
    no kept output sample with zero window energy (the NOLA condition, edges included)."""
    off = (n_fft - win_length) // 2
    window = [0.0] * n_fft
    for n in range(win_length):
        window[off + n] = (0.5 - 0.5 * math.cos(2 * math.pi * n / win_length)) ** 2
    pad = (n_fft - hop_length) // 2
    for n_frames in (1, 2, 2 * math.ceil(n_fft / hop_length) + 1):
        energy = [0.0] * ((n_frames - 1) * hop_length + n_fft)
        for u in range(n_frames):
            for n, w in enumerate(window):
                energy[u * hop_length + n] += w
        if min(energy[pad : pad + n_frames * hop_length]) < 1e-6:
            return False
    return True


@dataclass(frozen=True, kw_only=True)
class VocosConfig:
    """A Vocos-style frame-rate vocoder (Siuzdak 2023): ConvNeXt blocks at the mel frame rate,
    a head predicting STFT log-magnitude and phase, and an inverse STFT to samples.

    The STFT geometry (``n_fft``, ``hop_length``, ``win_length``) and ``n_mels`` are the voice's
    :class:`AudioConfig` values, stored here so the weights describe themselves.
    """

    dim: int = 512
    """Channels of the ConvNeXt backbone."""
    intermediate_dim: int = 1536
    """Hidden width of each block's pointwise MLP."""
    n_layers: int = 8
    """ConvNeXt blocks."""
    kernel_size: int = 7
    """Depthwise convolution kernel (odd)."""
    layer_scale_init: float = 0.125
    """Initial per-channel residual scale of each block (1 / n_layers in Vocos)."""
    n_mels: int = 80
    """Input mel bands."""
    n_fft: int = 1024
    """FFT size of the inverse STFT."""
    hop_length: int = 256
    """Samples per frame."""
    win_length: int = 1024
    """Hann window length (centred and zero-padded to ``n_fft``)."""

    def __post_init__(self) -> None:
        _check(self.dim > 0 and self.intermediate_dim > 0, "vocos widths must be positive")
        _check(self.n_layers >= 0, "vocos.n_layers must be >= 0")
        _check(self.kernel_size % 2 == 1, "vocos.kernel_size must be odd")
        _check(self.n_fft >= self.win_length, "vocos.win_length must be <= vocos.n_fft")
        _check(
            _istft_covers(self.n_fft, self.hop_length, self.win_length),
            f"vocos: a Hann window of {self.win_length} samples every {self.hop_length} cannot "
            "be inverted (some samples get no window energy); use a longer win_length",
        )

    @classmethod
    def for_audio(cls, audio: AudioConfig, **sizes: Any) -> VocosConfig:
        """This geometry for a voice's audio settings, with the given sizes (others default)."""
        return cls(
            n_mels=audio.n_mels, n_fft=audio.n_fft, hop_length=audio.hop_length,
            win_length=audio.win_length, **sizes,
        )  # fmt: skip

    @classmethod
    def base(cls, audio: AudioConfig | None = None) -> VocosConfig:
        """The published Vocos mel model's size (dim 512, 8 blocks, 13.5 M parameters)."""
        return cls.for_audio(audio or AudioConfig())

    @classmethod
    def small(cls, audio: AudioConfig | None = None) -> VocosConfig:
        """A single-voice size, light enough to train on one CPU core."""
        return cls.for_audio(
            audio or AudioConfig(), dim=256, intermediate_dim=768, n_layers=6,
            layer_scale_init=1 / 6,
        )  # fmt: skip

    @classmethod
    def tiny(cls, audio: AudioConfig | None = None) -> VocosConfig:
        """For tests: a few thousand parameters."""
        return cls.for_audio(
            audio or AudioConfig(), dim=16, intermediate_dim=32, n_layers=2, layer_scale_init=0.5
        )

    @classmethod
    def preset(cls, name: str, audio: AudioConfig | None = None) -> VocosConfig:
        """``base``, ``small`` or ``tiny``."""
        presets = {"base": cls.base, "small": cls.small, "tiny": cls.tiny}
        if name not in presets:
            raise ConfigError(f"Unknown Vocos preset '{name}'.", hint=f"Use {', '.join(presets)}.")
        return presets[name](audio)


@dataclass(frozen=True, kw_only=True)
class VocoderTrainConfig:
    """How ``glowtts vocoder train`` optimises a Vocos vocoder (no adversarial losses)."""

    max_steps: int = 20000
    """Optimizer steps in total."""
    batch_size: int = 16
    """Random segments per step."""
    segment_frames: int = 32
    """Mel frames per training segment (32 x hop 256 = 0.37 s at 22.05 kHz)."""
    learning_rate: float = 5e-4
    """Peak AdamW rate (Vocos)."""
    min_learning_rate: float = 5e-5
    """The decay stops at this rate."""
    warmup_steps: int = 500
    """Linear warm-up from 0 to ``learning_rate``."""
    lr_half_life: int = 8000
    """Steps after warm-up in which the rate halves (exponential decay, independent of
    ``max_steps`` so that a run extended with more steps follows the same path)."""
    betas: tuple[float, float] = (0.8, 0.99)
    """AdamW betas (HiFi-GAN and Vocos)."""
    weight_decay: float = 0.0
    """AdamW decoupled weight decay."""
    grad_clip_norm: float = 10.0
    """Gradients are clipped to this global norm."""
    mel_weight: float = 1.0
    """Weight of the log-mel L1 loss."""
    stft_weight: float = 1.0
    """Weight of the multi-resolution STFT loss (spectral convergence + log magnitude)."""
    complex_weight: float = 1.0
    """Weight of the phase-aware loss: MSE of power-compressed complex spectra, model's STFT."""
    seed: int = 1234
    """Seed of the initial weights and of every step's segment draw."""
    log_every: int = 50
    """Steps between logged training losses."""
    eval_every: int = 1000
    """Steps between validation (mel L1 on held-out clips, plus an audio sample)."""
    checkpoint_every: int = 500
    """Steps between checkpoints."""
    keep_last: int = 3
    """Step checkpoints kept (plus the best)."""
    eval_clips: int = 8
    """Validation clips scored at each evaluation."""
    max_bad_steps: int = 20
    """Consecutive non-finite losses before training stops with an error."""

    def __post_init__(self) -> None:
        _check(self.max_steps >= 1 and self.batch_size >= 1, "steps and batch size must be >= 1")
        _check(self.segment_frames >= 8, "vocoder training segment_frames must be >= 8")
        _check(
            0 <= self.min_learning_rate <= self.learning_rate,
            "min_learning_rate must lie in [0, learning_rate]",
        )
        _check(self.lr_half_life >= 1, "lr_half_life must be >= 1")
        _check(
            min(self.log_every, self.eval_every, self.checkpoint_every, self.keep_last) >= 1,
            "log/eval/checkpoint intervals and keep_last must be >= 1",
        )


@dataclass(frozen=True, kw_only=True)
class VocoderConfig:
    """Which vocoder turns the voice's mels into audio."""

    kind: str = "hifigan"
    """``hifigan``, ``vocos`` or ``griffin-lim``."""
    source: str = "universal"
    """Where HiFi-GAN weights come from: ``universal``/``ljspeech`` (bundled),
    ``voice`` (the voice folder's ``vocoder.safetensors``), a local path, or ``org/repo[@rev]``."""
    hifigan: HiFiGANConfig | None = None
    """Generator hyperparameters when the source does not carry its own config."""
    griffin_lim_iters: int = 32
    """Griffin-Lim iterations."""
    vocos: VocosConfig | None = None
    """Vocos hyperparameters (``kind == "vocos"``), needed when ``source`` is ``voice``."""

    def __post_init__(self) -> None:
        _check(
            self.kind in ("hifigan", "vocos", "griffin-lim"),
            f"vocoder.kind must be hifigan, vocos or griffin-lim, not '{self.kind}'",
        )
        _check(
            self.kind != "vocos" or self.source != "voice" or self.vocos is not None,
            "vocoder.vocos is required when kind is vocos and source is voice",
        )
        _check(self.griffin_lim_iters >= 1, "vocoder.griffin_lim_iters must be >= 1")


# --------------------------------------------------------------------------------------------
# Voice
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InferenceDefaults:
    """The synthesis settings a voice recommends (users may override them per call)."""

    noise_scale: float = 0.667
    """Prior temperature: 0 is flat and robotic, higher is livelier but less stable."""
    length_scale: float = 1.0
    """Duration multiplier: above 1 speaks slower."""
    sentence_silence: float = 0.2
    """Seconds of silence between sentences."""


@dataclass(frozen=True, kw_only=True)
class TrainingInfo:
    """How a voice was made, for its model card (all optional)."""

    dataset: str = ""
    """What it was trained on."""
    hours: float = 0.0
    """Hours of audio."""
    steps: int = 0
    """Optimizer steps."""
    base_voice: str = ""
    """The voice it was fine-tuned from, if any."""
    final_losses: dict[str, float] = field(default_factory=dict)
    """Last validation losses."""
    notes: str = ""
    """Anything else worth knowing (e.g. measured intelligibility)."""


@dataclass(frozen=True, kw_only=True)
class VoiceConfig:
    """Everything needed to use a voice folder: front end, audio, model, vocoder and metadata."""

    schema_version: int = SCHEMA_VERSION
    """Version of this file's layout."""
    name: str
    """Short voice name."""
    language: str = "en-us"
    """BCP-47-ish language tag shown to users."""
    description: str = ""
    """One line for listings."""
    license: str = "unknown"
    """License of the weights (SPDX id where possible)."""
    text: TextConfig = field(default_factory=TextConfig)
    """Text front end; its symbol table fixes the token ids."""
    audio: AudioConfig = field(default_factory=AudioConfig)
    """Mel settings the model was trained on."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """Acoustic model."""
    vocoder: VocoderConfig = field(default_factory=VocoderConfig)
    """The vocoder this voice pairs with."""
    speakers: tuple[str, ...] = ()
    """Speaker names; index = speaker id. Empty for single-speaker voices."""
    inference: InferenceDefaults = field(default_factory=InferenceDefaults)
    """Recommended synthesis settings."""
    training: TrainingInfo = field(default_factory=TrainingInfo)
    """Provenance for the model card."""

    def __post_init__(self) -> None:
        _check(
            self.schema_version == SCHEMA_VERSION,
            f"voice schema_version {self.schema_version} is not supported "
            f"(this glowtts-cli reads version {SCHEMA_VERSION}); upgrade glowtts-cli",
        )
        _check(
            self.model.n_vocab == self.text.n_vocab,
            f"model.n_vocab ({self.model.n_vocab}) must equal the symbol count "
            f"({self.text.n_vocab}) of the text front end",
        )
        _check(
            self.model.n_mels == self.audio.n_mels,
            f"model.n_mels ({self.model.n_mels}) must equal audio.n_mels ({self.audio.n_mels})",
        )
        n_spk = max(self.model.n_speakers, 1)
        _check(
            not self.speakers or len(self.speakers) == n_spk,
            f"{len(self.speakers)} speaker names for a model with {n_spk} speaker(s)",
        )


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


FREEZABLE = ("encoder", "duration", "decoder")
"""Model parts that ``TrainConfig.freeze`` can name."""

VAL_METRICS = ("loss", "mel")
"""What ``TrainConfig.val_metric`` can name."""

FINETUNE_ALIGN_BAND = 20
"""Frames (0.23 s) the alignment of a fine-tune may stray from the base voice's predicted
durations (measured on 2 minutes of a new speaker: 5 frames 72 % WER, 20 frames 8.8 %, 60 frames
13.9 %, no band 17.3 %; docs/training.md)."""


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Optimisation and bookkeeping of a training run (official recipe by default)."""

    batch_size: int = 16
    """Clips per step (per process under DDP); the official recipe uses 32 per GPU."""
    max_steps: int = 100_000
    """Stop after this many optimizer steps."""
    learning_rate: float = 1.0
    """Noam base rate (official 1.0); for ``constant``/``exponential`` the rate itself."""
    scheduler: str = "noam"
    """``noam`` (warm-up then 1/sqrt decay, official), ``constant`` or ``exponential``."""
    warmup_steps: int = 4000
    """Noam warm-up steps."""
    lr_decay: float = 0.999875
    """Per-step factor of the ``exponential`` schedule."""
    betas: tuple[float, float] = (0.9, 0.98)
    """Adam betas (official)."""
    eps: float = 1e-9
    """Adam epsilon (official)."""
    grad_clip_value: float = 5.0
    """Gradients are clipped by value (official ``clip_grad_value_``)."""
    seed: int = 1234
    """Seed of the model init, data order and every random draw."""
    ddi: bool = True
    """Data-dependent ActNorm init on the first batch (training from scratch only)."""
    amp: bool = True
    """Mixed precision on CUDA (ignored on CPU)."""
    checkpoint_every: int = 500
    """Save a resumable checkpoint every N steps."""
    keep_last: int = 3
    """Checkpoints kept besides the best one."""
    eval_every: int = 1000
    """Compute the validation loss every N steps (the best one is kept as ``best.pt``)."""
    sample_every: int = 1000
    """Write an audio sample with alignment and mel images every N steps."""
    patience: int = 0
    """Stop after this many evaluations in a row without a lower validation loss (0 = never)."""
    val_fraction: float = 0.05
    """Share of clips held out for validation (at least one when there are two or more)."""
    val_metric: str = "loss"
    """What picks the best checkpoint and drives early stopping: ``loss`` (the training
    objective on the held-out clips) or ``mel`` (L1 between each held-out mel and the mel the
    decoder makes from the prior mean along the clip's alignment: what the voice would say with
    the right durations, without the prior's spread)."""
    freeze: tuple[str, ...] = ()
    """Model parts left as they are: any of ``encoder``, ``duration``, ``decoder``, or a module
    inside one (``encoder.layers``: parameter names up to a dot)."""
    log_every: int = 20
    """Write metrics every N steps."""
    max_bad_steps: int = 10
    """Consecutive non-finite losses tolerated (each skipped) before the run stops."""
    num_workers: int = 0
    """DataLoader worker processes."""
    bucket_batches: int = 8
    """Batches per length bucket of the sampler."""
    align_band: int = 0
    """0: alignment search as published; N: keep each token's alignment within N frames of the
    duration predictor's path scaled to the clip (fine-tuning on a new speaker, whose mels the
    base voice cannot align yet; :mod:`glowtts_cli.align.band`)."""
    schedule_offset: int = 0
    """Steps the starting weights were already trained for (a run started from a voice with
    ``--init-from``): the learning-rate schedule continues from there instead of restarting."""

    def __post_init__(self) -> None:
        _check(self.batch_size >= 1, "train.batch_size must be >= 1")
        _check(self.max_steps >= 1, "train.max_steps must be >= 1")
        _check(self.learning_rate > 0, "train.learning_rate must be > 0")
        _check(
            self.scheduler in ("noam", "constant", "exponential"),
            f"train.scheduler must be noam, constant or exponential, not '{self.scheduler}'",
        )
        _check(self.warmup_steps >= 1, "train.warmup_steps must be >= 1")
        _check(0 < self.lr_decay <= 1, "train.lr_decay must be in (0, 1]")
        _check(self.grad_clip_value > 0, "train.grad_clip_value must be > 0")
        _check(
            min(self.checkpoint_every, self.eval_every, self.sample_every, self.log_every,
                self.keep_last) >= 1,
            "train intervals and keep_last must be >= 1",
        )  # fmt: skip
        _check(self.patience >= 0, "train.patience must be >= 0")
        _check(0 <= self.val_fraction < 1, "train.val_fraction must be in [0, 1)")
        _check(
            self.val_metric in VAL_METRICS,
            f"train.val_metric must be {' or '.join(VAL_METRICS)}, not '{self.val_metric}'",
        )
        unknown = sorted(p for p in self.freeze if p.split(".", 1)[0] not in FREEZABLE)
        _check(
            not unknown and len(set(self.freeze) & set(FREEZABLE)) < len(FREEZABLE),
            f"train.freeze takes some of {', '.join(FREEZABLE)} (not all) or their sub-modules "
            f"(e.g. encoder.layers), not {unknown or 'all'}",
        )
        _check(self.max_bad_steps >= 1, "train.max_bad_steps must be >= 1")
        _check(self.schedule_offset >= 0, "train.schedule_offset must be >= 0")
        _check(self.align_band >= 0, "train.align_band must be >= 0")

    @classmethod
    def finetune(cls, **overrides: Any) -> TrainConfig:
        """Fine-tuning defaults: batches of 8 clips at a constant 3e-4 (half the time a step of
        batch 16 takes, and as intelligible), no warm-up, no DDI, every part trained, the
        alignment kept near the base voice's durations (:data:`FINETUNE_ALIGN_BAND`), frequent
        validation on a larger held-out share scored by mel error, early stopping (the choices
        and their measurements: docs/training.md)."""
        base: dict[str, Any] = {
            "scheduler": "constant",
            "learning_rate": 3e-4,
            "batch_size": 8,
            "max_steps": 2000,
            "ddi": False,
            "checkpoint_every": 200,
            "eval_every": 25,
            "sample_every": 500,
            "patience": 8,
            "val_fraction": 0.1,
            "val_metric": "mel",
            "align_band": FINETUNE_ALIGN_BAND,
        }
        base.update(overrides)
        return cls(**base)
