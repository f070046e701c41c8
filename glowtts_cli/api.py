"""The Python API: ``speak()``, ``Voice`` (front end + Glow-TTS + vocoder), ``Audio``.

    from glowtts_cli import speak
    speak("Hello world.").save("hello.wav")

A ``Voice`` is loaded once and reused; ``Voice.stream`` yields audio sentence by sentence so that
playback can start before a long text is finished. Sampling is reproducible with ``seed``.
``glowtts_cli.audio.playback.playing(voice.stream(text), voice.sample_rate)`` plays the pieces
while a thread synthesizes the next ones (what ``glowtts say --play`` does).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from glowtts_cli.audio.io import save as save_audio
from glowtts_cli.config import VoiceConfig
from glowtts_cli.errors import AudioLimitError, ConfigError, ParameterError, TextError
from glowtts_cli.hub import resolve
from glowtts_cli.speakers import speaker_index
from glowtts_cli.text.alignment import AlignedSentence, relocate
from glowtts_cli.text.frontend import TextFrontend
from glowtts_cli.text.ssml import Pause, parse_ssml, spoken_text, written_text
from glowtts_cli.text.timings import WordTiming, shift, word_timings
from glowtts_cli.voice_folder import read_voice_config
from glowtts_cli.voices import default_voice

if TYPE_CHECKING:  # torch is imported when a voice runs on it: the ONNX engine never does
    import torch

    from glowtts_cli.model.glow_tts import GlowTTS
    from glowtts_cli.onnx.runtime import OnnxSynthesizer
    from glowtts_cli.vocoder import Vocoder

__all__ = [
    "ENGINES",
    "Audio",
    "SynthesisOptions",
    "Voice",
    "resolve_engine",
    "select_device",
    "speak",
]

Samples = npt.NDArray[np.float32]

NOISE_SCALE_RANGE = (0.0, 2.0)
LENGTH_SCALE_RANGE = (0.1, 10.0)
MAX_SENTENCE_SILENCE = 10.0
FIRST_CHUNK_FRAMES = 16
"""Mel frames (~0.19 s) in the first vocoder piece of a chunked stream: a short wait for sound."""
ENCODE_CHUNK = 16
"""Sentences per front-end call while streaming: one batched espeak call each."""
ENGINES = ("auto", "torch", "onnx")
"""``torch`` runs the voice's weights; ``onnx`` its exported graph (``glowtts voices export-onnx``)
with onnxruntime, without importing torch; ``auto`` takes the graph when it gives the same audio."""


@dataclass(frozen=True, kw_only=True)
class SynthesisOptions:
    """Per-call settings; ``None`` means "the voice's recommended value"."""

    speaker: str | int | None = None
    """Speaker name or index (multi-speaker voices only)."""
    noise_scale: float | None = None
    """Prior temperature, 0 to 2 (0 = deterministic, flat)."""
    length_scale: float | None = None
    """Duration multiplier, 0.1 to 10 (above 1 = slower)."""
    sentence_silence: float | None = None
    """Seconds of silence after each sentence, 0 to 10."""
    seed: int | None = None
    """Random seed for reproducible output."""

    def __post_init__(self) -> None:
        _check_range("noise_scale", self.noise_scale, *NOISE_SCALE_RANGE, low_open=False)
        _check_range("length_scale", self.length_scale, *LENGTH_SCALE_RANGE, low_open=False)
        _check_range("sentence_silence", self.sentence_silence, 0.0, MAX_SENTENCE_SILENCE)
        check_seed(self.seed)


MAX_SEED = 2**63 - 1
"""Largest seed (torch generators take a signed 64-bit seed)."""


def check_seed(seed: object) -> None:
    """A seed is None or a whole number from 0 to :data:`MAX_SEED`; ConfigError otherwise."""
    if seed is None:
        return
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise ParameterError(
            f"seed must be a whole number from 0 to 2**63-1, got {seed!r}.",
            parameter="seed",
            hint="Any such number gives its own reproducible audio; leave it out for random.",
        )


def _check_range(
    name: str, value: float | None, low: float, high: float, *, low_open: bool = False
) -> None:
    """Library errors name the parameter (``noise_scale``); the CLI and server map it."""
    if value is None:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ParameterError(
            f"{name} must be a finite number, got {value!r}.",
            parameter=name,
            hint=f"Give a number from {low:g} to {high:g}, or leave it out for the voice's value.",
        )
    if value < low or value > high or (low_open and value == low):
        raise ParameterError(
            f"{name} must be between {low:g} and {high:g}, got {value:g}.",
            parameter=name,
            hint="The voice's recommended value is used when it is left out.",
        )


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] and their sample rate."""

    samples: Samples
    sample_rate: int
    sentence_end: bool = True
    """False for a piece of a sentence that ``Voice.stream(..., chunk_frames=N)`` cut; True for
    the piece that completes a sentence (and for every whole-sentence or whole-text ``Audio``)."""
    words: tuple[WordTiming, ...] = ()
    """With ``timings=True``: the words this piece starts, with their phonemes, timed in seconds
    from the start of the whole output (a chunked sentence's words come with its first piece)."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    def save(self, path: str | Path) -> Path:
        """Write WAV, FLAC or OGG (by extension), atomically."""
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(f"Audio.save needs a file path, got {path!r}.",
                              hint="Pass a path ending in .wav, .flac or .ogg.")  # fmt: skip
        return save_audio(path, self.samples, self.sample_rate)

    def play(self) -> None:
        """Play through the default output device and wait until done."""
        from glowtts_cli.audio.playback import play

        play(self.samples, self.sample_rate)

    @staticmethod
    def concatenate(parts: Sequence[Audio], sample_rate: int) -> Audio:
        """Join pieces of the same rate."""
        if not parts:
            return Audio(np.zeros(0, dtype=np.float32), sample_rate)
        samples = np.concatenate([p.samples for p in parts]).astype(np.float32)
        return Audio(samples, sample_rate, words=tuple(w for p in parts for w in p.words))


def select_device(spec: str | torch.device | None = None) -> torch.device:
    """``None``/``auto`` picks CUDA when present, else CPU; ``cpu`` or ``cuda[:N]`` explicitly."""
    import torch

    if isinstance(spec, torch.device):
        return spec
    if spec is None or spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except (RuntimeError, ValueError) as e:
        raise ConfigError(f"Unknown device '{spec}'.", hint="Use auto, cpu, cuda or cuda:N.") from e
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                f"Device '{spec}' was asked for but no CUDA device is available.",
                hint="Use device='cpu', or leave device out.",
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(
                f"Device '{spec}' does not exist ({torch.cuda.device_count()} CUDA device(s)).",
                hint="Use device='cuda:0', or leave device out.",
            )
    elif device.type != "cpu":
        raise ConfigError(f"Device type '{device.type}' is not supported.", hint="Use cpu or cuda.")
    return device


class Voice:
    """A loaded voice: text front end, and Glow-TTS acoustic model and vocoder on one device (the
    torch engine) or the voice's exported graph in onnxruntime (the ONNX engine)."""

    def __init__(
        self,
        cfg: VoiceConfig,
        model: GlowTTS | None,
        vocoder: Vocoder | None,
        *,
        device: torch.device | None,
        path: Path | None = None,
        graph: OnnxSynthesizer | None = None,
    ) -> None:
        """Either ``model`` and ``vocoder`` on ``device``, or ``graph`` (and no device)."""
        self.cfg = cfg
        self.model = model
        self.vocoder = vocoder
        self.device = device
        self.path = path
        self.graph = graph
        self.frontend = TextFrontend(cfg.text)

    @classmethod
    def load(
        cls,
        spec: str | Path | None = None,
        *,
        device: str | torch.device | None = None,
        vocoder: str | None = None,
        threads: int | None = None,
        engine: str = "torch",
    ) -> Voice:
        """Load a voice: a folder, catalog name or ``org/repo[@rev]`` (default: bundled voice).

        ``engine`` is one of ``ENGINES``. ``auto`` runs the voice's exported graph (in its
        folder, or for a bundled, catalog or Hub voice in the user cache) when it was made from
        the voice's weights, onnxruntime is installed, the device is the CPU (or left to
        choose) and no other vocoder is asked for; else torch.
        """
        if spec is None:
            spec = default_voice()
        if engine not in ENGINES:
            raise ConfigError(f"Unknown engine '{engine}'.", hint="Use auto, torch or onnx.")
        if threads is not None:
            from glowtts_cli.threads import check_threads

            check_threads(threads)
        if engine != "torch":
            folder = resolve(str(spec)).path
            graph_dir = _graph_to_use(engine, folder, device=device, vocoder=vocoder)
            if graph_dir is not None:
                from glowtts_cli.onnx.runtime import OnnxSynthesizer

                graph = OnnxSynthesizer(graph_dir, threads=threads)
                cfg = read_voice_config(folder)
                return cls(cfg, None, None, device=None, path=folder, graph=graph)
        from glowtts_cli.model.glow_tts import GlowTTS  # the torch engine from here on
        from glowtts_cli.state_dict import load_state_dict_strict
        from glowtts_cli.threads import set_inference_threads
        from glowtts_cli.voice_folder import load_model_state
        from glowtts_cli.voice_vocoder import load_voice_vocoder

        torch_device = select_device(device)
        if torch_device.type == "cpu":
            set_inference_threads(threads)  # deliberate: oversubscribed cores are many times slower
        folder = resolve(str(spec)).path
        cfg = read_voice_config(folder)
        model = GlowTTS(cfg.model)
        model.prepare_for_inference()
        load_state_dict_strict(model, load_model_state(folder), source=str(folder))
        model.decoder.store_inverse()
        voc = load_voice_vocoder(cfg, folder, vocoder)
        return cls(
            cfg, model.to(torch_device), voc.to(torch_device), device=torch_device, path=folder
        )

    # -- options -------------------------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        """Output sample rate."""
        return self.cfg.audio.sample_rate

    def speaker_id(self, speaker: str | int | None) -> int | None:
        """Map a speaker name or index to an id (None for single-speaker voices); see
        :func:`glowtts_cli.speakers.speaker_index`."""
        return speaker_index(self.cfg, speaker)

    def _settings(self, options: SynthesisOptions) -> tuple[float, float, float]:
        rec = self.cfg.inference
        return (
            rec.noise_scale if options.noise_scale is None else options.noise_scale,
            rec.length_scale if options.length_scale is None else options.length_scale,
            rec.sentence_silence if options.sentence_silence is None else options.sentence_silence,
        )

    def _generator(self, seed: int | None) -> torch.Generator | None:
        if seed is None or self.graph is not None:
            return None
        import torch

        generator = torch.Generator(device=self.device)
        generator.manual_seed(seed)
        return generator

    # -- synthesis -----------------------------------------------------------------------------

    def mels(
        self,
        batch: Sequence[Sequence[int]],
        options: SynthesisOptions,
        generator: torch.Generator | None = None,
    ) -> list[torch.Tensor]:
        """Token-id sequences -> one log-mel [M, T_y] each, in a single batched forward pass."""
        return self._infer(batch, options, generator, sid=self.speaker_id(options.speaker))[0]

    def _infer(
        self,
        batch: Sequence[Sequence[int]],
        options: SynthesisOptions,
        generator: torch.Generator | None = None,
        *,
        sid: int | None,
    ) -> tuple[list[torch.Tensor], list[list[int]]]:
        """``mels`` and the frames each token id lasted (after length scale and the trim), for
        the speaker id ``sid`` (resolved once by the caller)."""
        if not batch:
            return [], []
        import torch

        model, _ = self._torch_parts()
        noise_scale, length_scale, _ = self._settings(options)
        lengths = torch.tensor([len(ids) for ids in batch], dtype=torch.long)
        x = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
        for row, ids in enumerate(batch):
            x[row, : len(ids)] = torch.tensor(list(ids), dtype=torch.long)
        g = None
        if sid is not None:
            g = model.speaker_embedding(torch.full((len(batch),), sid, device=self.device))
        out = model.infer(
            x.to(self.device),
            lengths.to(self.device),
            g=g,
            noise_scale=noise_scale,
            length_scale=length_scale,
            generator=generator,
        )
        frames = out.attn.sum(-1).round().long().cpu()  # [B, T_x]
        return (
            [out.y[i, :, : int(out.y_lengths[i])] for i in range(len(batch))],
            [frames[i, : len(ids)].tolist() for i, ids in enumerate(batch)],
        )

    def _torch_parts(self) -> tuple[GlowTTS, Vocoder]:
        if self.model is None or self.vocoder is None:
            raise ConfigError(
                f"Voice '{self.cfg.name}' runs on the ONNX engine, which makes no mel frames.",
                hint="Load it with engine='torch'.",
            )
        return self.model, self.vocoder

    def _vocode(self, mel: torch.Tensor) -> Samples:
        import torch

        with torch.no_grad():
            wav = self._torch_parts()[1].vocode(mel.unsqueeze(0))  # [1, S]
        return wav[0].clamp(-1.0, 1.0).float().cpu().numpy()

    def _graph_audio(
        self, ids: list[int], options: SynthesisOptions, *, sid: int | None
    ) -> tuple[Samples, list[int]]:
        """One sentence through the exported graph (speaker id ``sid``): samples, frames per id."""
        assert self.graph is not None
        noise_scale, length_scale, _ = self._settings(options)
        if options.seed is not None and noise_scale > 0:
            raise ConfigError(
                "A seed cannot be honoured by the ONNX engine: the graph draws its own noise.",
                hint="Use engine='torch' for reproducible audio, or noise_scale=0.",
            )
        return self.graph.audio(ids, noise_scale=noise_scale, length_scale=length_scale, sid=sid)

    def _silence(self, seconds: float) -> Samples:
        return np.zeros(round(seconds * self.sample_rate), dtype=np.float32)

    def stream(
        self,
        text: str,
        options: SynthesisOptions | None = None,
        *,
        chunk_frames: int | None = None,
        max_seconds: float | None = None,
        timings: bool = False,
    ) -> Generator[Audio, None, None]:
        """Yield audio sentence by sentence (each followed by the sentence silence).

        With ``timings``, each sentence's first piece carries its words (``Audio.words``): text
        offsets into ``text`` and start/end of every word and phoneme in seconds of the output,
        from the durations the model used (length scale, silences and blanks included).

        The text is encoded a few sentences at a time, so the first piece comes as soon for a
        book as for a line; ``close()`` the generator to stop early. With ``chunk_frames``,
        each sentence's audio comes in vocoder pieces of that many mel frames (the first one
        smaller), so playback can start long before a sentence is vocoded; the silence then
        comes as the sentence's last piece (``sentence_end``). Chunked audio equals whole-
        sentence audio within float rounding (the vocoder gets its full receptive field).

        With ``max_seconds``, a sentence that would take the audio (silences included) past
        that length raises ``AudioLimitError`` before it is vocoded, which is where nearly all
        of the time goes; the sentences before it have been yielded.
        """
        options = options or SynthesisOptions()
        sid = self.speaker_id(options.speaker)  # once, and before any work on a bad speaker
        _, _, silence = self._settings(options)
        if max_seconds is not None and not (
            isinstance(max_seconds, (int, float)) and 0 < max_seconds < math.inf
        ):
            raise ConfigError(
                f"max_seconds must be a positive number of seconds, got {max_seconds!r}.",
                hint="Leave max_seconds out for no limit.",
            )
        generator = self._generator(options.seed)
        spoken, seconds_per_frame, produced = 0, self.cfg.audio.hop_length / self.sample_rate, 0.0
        clock = _Clock(text, self.cfg.audio.hop_length, self.sample_rate)
        for sentence, ids, aligned in self._encoded_sentences(text, aligned=timings):
            wav: Samples | None = None
            if self.graph is not None:  # the ONNX engine: the waveform in one call
                wav, frames = self._graph_audio(ids, options, sid=sid)
            else:
                (mel,), (frames,) = self._infer([ids], options, generator, sid=sid)
            words = clock.words(aligned, sentence, frames, spoken)
            spoken += 1
            n_frames = len(wav) // self.cfg.audio.hop_length if wav is not None else mel.shape[-1]
            produced += n_frames * seconds_per_frame + silence
            if max_seconds is not None and produced > max_seconds:
                raise AudioLimitError(
                    f"The text makes more than {max_seconds:g} s of audio (sentence {spoken} "
                    f"reaches {produced:.2f} s).",
                    hint="Send a shorter text, or speak faster (a smaller length_scale).",
                )
            if wav is not None or chunk_frames is None:  # the graph gives whole sentences
                whole = wav if wav is not None else self._vocode(mel)
                samples = np.concatenate([whole, self._silence(silence)])
                yield Audio(samples, self.sample_rate, words=clock.advance(samples, words))
                continue
            for piece in self._vocode_pieces(mel, chunk_frames):
                yield Audio(
                    piece, self.sample_rate, sentence_end=False, words=clock.advance(piece, words)
                )
                words = ()
            silent = self._silence(silence)
            yield Audio(silent, self.sample_rate, words=clock.advance(silent))

        if not spoken:
            preview = text if len(text) <= 40 else text[:40] + "..."
            raise TextError(
                f"Nothing pronounceable in {preview!r}.", hint="Give at least one word to speak."
            )

    def stream_ssml(
        self,
        ssml: str,
        options: SynthesisOptions | None = None,
        *,
        chunk_frames: int | None = None,
        timings: bool = False,
        max_seconds: float | None = None,
    ) -> Generator[Audio, None, None]:
        """``stream`` for an SSML document (``glowtts_cli.text.ssml``): each run of speech at its
        own speed (``prosody rate`` divides the length scale), and each ``<break>`` exactly that
        long between the last word before it and the first after it (the runs' own silences
        included). ``max_seconds`` bounds the whole output as in ``stream``. Word offsets
        refer to ``ssml.spoken_text(ssml.parse_ssml(ssml))``, the plain text spoken.

        Raises:
            TextError: malformed SSML (with line and column) or nothing to say.
        """
        options = options or SynthesisOptions()
        segments = parse_ssml(ssml, self.cfg.text.language)
        _, length_scale, silence = self._settings(options)
        joiner = _SsmlJoiner(self.sample_rate, silence, spoken_text(segments), timings)
        for segment in segments:
            if isinstance(segment, Pause):
                joiner.pause(segment)
                continue
            text = (
                segment.text if self.cfg.text.phonemizer == "espeak" else written_text(segment.text)
            )
            scale = min(
                max(length_scale / segment.rate, LENGTH_SCALE_RANGE[0]), LENGTH_SCALE_RANGE[1]
            )
            run = dataclasses.replace(options, length_scale=scale, sentence_silence=0.0)
            left = None if max_seconds is None else max(0.0, max_seconds - joiner.seconds)
            pieces = self.stream(
                text, run, chunk_frames=chunk_frames, timings=True, max_seconds=left
            )
            for piece in pieces:
                yield from joiner.add(piece)
            joiner.end_run(text)
        yield from joiner.finish()

    def _vocode_pieces(self, mel: torch.Tensor, chunk_frames: int) -> Iterator[Samples]:
        """One sentence's waveform in pieces; each vocoder call runs under no_grad."""
        import torch

        from glowtts_cli.vocoder import stream_vocode

        pieces = stream_vocode(
            self._torch_parts()[1],
            mel.unsqueeze(0),
            chunk_frames=chunk_frames,
            first_chunk_frames=min(FIRST_CHUNK_FRAMES, chunk_frames),
        )
        while True:
            with torch.no_grad():  # not around the yield: grad mode must not leak to the caller
                wav = next(pieces, None)
            if wav is None:
                return
            yield wav[0].clamp(-1.0, 1.0).float().cpu().numpy()

    def _encoded_sentences(
        self, text: str, *, aligned: bool = False
    ) -> Iterator[tuple[str, list[int], AlignedSentence | None]]:
        """``(sentence, ids, alignment)`` lazily, a few sentences per espeak call; silent ones
        left out. ``alignment`` (the word of each id) only when ``aligned``.

        Encoding a long text (a book) up front would delay the first audio by seconds and hold
        every sentence's ids at once; chunks keep both the wait and the memory independent of
        the text's length, while still batching espeak calls.
        """
        sentences = self.frontend.split_sentences(text)
        for start in range(0, len(sentences), ENCODE_CHUNK):
            chunk = sentences[start : start + ENCODE_CHUNK]
            if aligned:
                for sentence, item in zip(chunk, self.frontend.encode_aligned(chunk), strict=True):
                    if item is not None:
                        yield sentence, item.ids, item
                continue
            try:
                encoded = list(zip(chunk, self.frontend.encode_batch(chunk), strict=True))
            except TextError:  # a chunk with a silent sentence ("..."): one by one, skip those
                encoded = [pair for s in chunk for pair in self._encode_or_skip(s)]
            yield from ((s, ids, None) for s, ids in encoded)

    def _encode_or_skip(self, sentence: str) -> list[tuple[str, list[int]]]:
        try:
            return self.frontend.encode_sentences(sentence)
        except TextError:
            return []

    def synthesize(
        self, text: str, options: SynthesisOptions | None = None, *, timings: bool = False
    ) -> Audio:
        """The whole text as one ``Audio`` (sentences joined by the sentence silence); with
        ``timings``, ``Audio.words`` holds every word's timing (see ``stream``)."""
        pieces = list(self.stream(text, options, timings=timings))
        return Audio.concatenate(pieces, self.sample_rate)

    def synthesize_batch(
        self, texts: Sequence[str], options: SynthesisOptions | None = None
    ) -> list[Audio]:
        """Several texts in one acoustic-model forward pass (each text as one utterance)."""
        options = options or SynthesisOptions()
        batch = [self.frontend.encode(text) for text in texts]
        if self.graph is not None:  # one call per text: the graph takes a batch of one
            sid = self.speaker_id(options.speaker)
            return [
                Audio(self._graph_audio(ids, options, sid=sid)[0], self.sample_rate)
                for ids in batch
            ]
        mels = self.mels(batch, options, self._generator(options.seed))
        return [Audio(self._vocode(mel), self.sample_rate) for mel in mels]


class _SsmlJoiner:
    """Joins the streams of an SSML document's runs: silences between sentences and runs, exact
    ``<break>`` gaps (measured from the word timings), and words timed in the whole output."""

    def __init__(self, sample_rate: int, silence: float, text: str, timings: bool) -> None:
        self.rate, self.silence, self.text, self.timings = sample_rate, silence, text, timings
        self.samples = 0
        self.last_word_end = 0.0
        self.break_seconds: float | None = None  # asked for between the words around a boundary
        self.sentence_gap = False  # the boundary ends a sentence: the sentence silence at least
        self.run_start: int | None = None  # samples before the current run, once it has audio
        self.between_sentences = False
        self.cursor = 0
        self.sentences = 0
        self.spoken = False

    @property
    def seconds(self) -> float:
        """Output so far."""
        return self.samples / self.rate

    def pause(self, pause: Pause) -> None:
        if pause.seconds > 0 or not pause.sentence_end:
            self.break_seconds = (self.break_seconds or 0.0) + pause.seconds
        self.sentence_gap = self.sentence_gap or pause.sentence_end

    def _gap(self, lead: float) -> Audio:
        """The silence before the next run: a break's rest after the runs' own quiet edges."""
        tail = self.samples / self.rate - self.last_word_end
        if self.break_seconds is not None:
            seconds = max(0.0, self.break_seconds - tail - lead)
        else:
            seconds = self.silence if self.sentence_gap else 0.0
        self.break_seconds, self.sentence_gap = None, False
        samples = np.zeros(round(seconds * self.rate), dtype=np.float32)
        self.samples += len(samples)
        return Audio(samples, self.rate)

    def add(self, piece: Audio) -> Iterator[Audio]:
        if self.run_start is None:  # the first piece of a run
            lead = piece.words[0].start if piece.words else 0.0
            if self.spoken or self.break_seconds is not None:
                yield self._gap(lead)
            self.run_start = self.samples
        elif self.between_sentences and len(piece.samples):
            self.sentence_gap = True
            yield self._gap(0.0)
        words, self.cursor = shift(
            piece.words,
            self.run_start / self.rate,
            text=self.text,
            cursor=self.cursor,
            sentence=self.sentences,
        )
        if words:
            self.last_word_end = words[-1].end
            self.sentences = words[-1].sentence + 1
        self.samples += len(piece.samples)
        self.spoken = True
        self.between_sentences = piece.sentence_end
        yield dataclasses.replace(piece, words=tuple(words) if self.timings else ())

    def end_run(self, text: str) -> None:
        self.run_start, self.between_sentences = None, False
        self.sentence_gap = bool(re.search(r"[.!?…][\"')\]]*$", text))

    def finish(self) -> Iterator[Audio]:
        if not self.spoken:
            raise TextError("The SSML has nothing to say.", hint="Put some text inside <speak>.")
        self.sentence_gap = True
        yield self._gap(0.0)


class _Clock:
    """Samples of output so far in one stream, and the text offset reached, for word timings."""

    def __init__(self, text: str, hop_length: int, sample_rate: int) -> None:
        self.text = text
        self.seconds_per_frame = hop_length / sample_rate
        self.sample_rate = sample_rate
        self.samples = 0
        self.cursor = 0

    def words(
        self, aligned: AlignedSentence | None, sentence: str, frames: list[int], index: int
    ) -> tuple[WordTiming, ...]:
        """One sentence's timed words (none without an alignment), starting at the clock."""
        if aligned is None:
            return ()
        written, self.cursor = relocate(aligned.words, sentence, self.text, self.cursor)
        timed = word_timings(
            aligned,
            frames,
            words=written,
            seconds_per_frame=self.seconds_per_frame,
            offset=self.samples / self.sample_rate,
            sentence=index,
        )
        return tuple(timed)

    def advance(
        self, samples: Samples, words: tuple[WordTiming, ...] = ()
    ) -> tuple[WordTiming, ...]:
        """Count a piece of output; returns ``words`` (the piece's own)."""
        self.samples += len(samples)
        return words


def _graph_to_use(
    engine: str, folder: Path, *, device: str | torch.device | None, vocoder: str | None
) -> Path | None:
    """The folder of the exported graph that ``engine`` (``auto`` or ``onnx``) runs for the
    voice in ``folder`` (the folder itself or its cached export), or None: torch runs it."""
    from glowtts_cli.onnx.runtime import graph_folder, onnxruntime_available

    on_cpu = device is None or (isinstance(device, str) and device in ("auto", "cpu"))
    if engine == "auto":
        usable = on_cpu and vocoder is None and onnxruntime_available()
        return graph_folder(folder) if usable else None
    if vocoder is not None:
        raise ConfigError(
            "The ONNX engine runs the vocoder exported with the voice; another cannot be given.",
            hint="Leave vocoder out, or use engine='torch'.",
        )
    if not on_cpu:
        raise ConfigError(
            f"The ONNX engine runs on the CPU, not on '{device}'.",
            hint="Leave device out, or use engine='torch'.",
        )
    return graph_folder(folder) or folder  # a folder's own graph runs whatever its weights


def resolve_engine(engine: str, *, seed: int | None, noise_scale: float | None) -> str:
    """``auto`` becomes ``torch`` when a seed must reproduce torch's noise (the graph's own
    noise cannot); any other choice is kept."""
    if engine == "auto" and seed is not None and noise_scale != 0:
        return "torch"
    return engine


@functools.lru_cache(maxsize=4)
def _cached_voice(
    spec: str | None, device: str | None, vocoder: str | None, engine: str = "torch"
) -> Voice:
    return Voice.load(spec, device=device, vocoder=vocoder, engine=engine)


def speak(
    text: str,
    voice: str | Path | Voice | None = None,
    *,
    speaker: str | int | None = None,
    noise_scale: float | None = None,
    length_scale: float | None = None,
    sentence_silence: float | None = None,
    seed: int | None = None,
    device: str | None = None,
    vocoder: str | None = None,
    engine: str = "auto",
) -> Audio:
    """Synthesize ``text`` with a voice (default: the bundled one). Loaded voices are cached.

    ``engine`` (``auto``, ``torch``, ``onnx``): ``auto`` runs a voice folder's exported graph
    without torch when it gives the voice's audio (see ``Voice.load``; a seed keeps torch).
    """
    options = SynthesisOptions(
        speaker=speaker,
        noise_scale=noise_scale,
        length_scale=length_scale,
        sentence_silence=sentence_silence,
        seed=seed,
    )
    if not isinstance(voice, Voice):
        engine = resolve_engine(engine, seed=seed, noise_scale=noise_scale)
        voice = _cached_voice(None if voice is None else str(voice), device, vocoder, engine)
    return voice.synthesize(text, options)
