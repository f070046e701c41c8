"""``glowtts say``: speak text (``--play``), write it (``-o``), or both, sentence by sentence."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from glowtts_cli.cli.console import err_console, naming_flags, progress_callback
from glowtts_cli.cli.lines import line_pieces, read_requests
from glowtts_cli.cli.textinput import read_text

if TYPE_CHECKING:
    from glowtts_cli.api import Audio
    from glowtts_cli.text.timings import WordTiming

PLAY_CHUNK_FRAMES = 64
"""Mel frames per vocoder piece when playing (~0.74 s of audio)."""


@naming_flags(
    "noise_scale", "length_scale", "sentence_silence", "seed", "threads", "device", "speaker",
    "engine", "vocoder",
)  # fmt: skip
def say(
    text: str | None = typer.Argument(
        None, help="Text to speak; '-' or piped input reads standard input.", show_default=False
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write audio here (.wav, .flac, .ogg, .mp3, .opus); '-' writes WAV to stdout.",
    ),
    play: bool = typer.Option(
        False, "--play", help="Play through the speakers while synthesizing."
    ),
    text_file: Path | None = typer.Option(None, "--text-file", help="Read the text from a file."),
    voice: str | None = typer.Option(
        None,
        "--voice",
        "-v",
        help="Voice: folder, catalog name or org/repo[@rev]. [default: bundled]",
    ),
    speaker: str | None = typer.Option(None, "--speaker", help="Speaker name or index."),
    noise_scale: float | None = typer.Option(
        None, "--noise-scale", help="Prior temperature, 0-2. [default: the voice's]"
    ),
    length_scale: float | None = typer.Option(
        None,
        "--length-scale",
        help="Speaking slowness, 0.1-10 (>1 is slower). [default: the voice's]",
    ),
    sentence_silence: float | None = typer.Option(
        None,
        "--sentence-silence",
        help="Seconds of silence between sentences. [default: the voice's]",
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed for reproducible audio."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    threads: int | None = typer.Option(
        None,
        "--threads",
        min=1,
        help="CPU threads (use 1 on a busy shared machine). [default: cores, max 4]",
    ),
    vocoder: str | None = typer.Option(
        None,
        "--vocoder",
        help="griffin-lim, universal, ljspeech, a folder or org/repo. [default: the voice's]",
    ),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="torch, onnx (the voice's exported graph, no torch) or auto (onnx when it gives "
        "the same audio).",
    ),
    ssml: bool = typer.Option(
        False, "--ssml", help="The text is an SSML document: <speak>...</speak> (see docs/cli.md)."
    ),
    timings: Path | None = typer.Option(
        None, "--timings", help="Write every word's and phoneme's start and end here (JSON)."
    ),
    subtitles: Path | None = typer.Option(
        None,
        "--subtitles",
        help="Write subtitles here: .srt (a cue per phrase) or .vtt (with word timestamps).",
    ),
    output_raw: bool = typer.Option(
        False,
        "--output-raw",
        help="Write raw 16-bit little-endian mono PCM to stdout, at the voice's sample rate.",
    ),
    line_by_line: bool = typer.Option(
        False,
        "--line-by-line",
        help="Read standard input a line at a time and speak each line as it arrives.",
    ),
    json_input: bool = typer.Option(
        False,
        "--json-input",
        help='Like --line-by-line, each line a JSON object: {"text": ..., "output_file": ..., '
        '"speaker": ..., "length_scale": ...} (see docs/cli.md).',
    ),
    list_speakers: bool = typer.Option(
        False, "--list-speakers", help="List the voice's speakers (index and name) and exit."
    ),
) -> None:
    """Speak TEXT: play it (--play), write it (-o FILE), or both."""
    from glowtts_cli.errors import GlowTTSError

    if list_speakers:
        return _list_speakers(voice)
    _stop_on_term_and_hup()
    lines = line_by_line or json_input
    _check_usage(text, text_file, out, output_raw=output_raw, lines=lines)
    _check_timing_paths(timings, subtitles, lines=lines)
    content = spoken = "" if lines else read_text(text, text_file)
    if ssml and not lines:
        from glowtts_cli.text.ssml import parse_ssml, spoken_text

        spoken = spoken_text(parse_ssml(content))  # malformed SSML fails before any loading
    shared = out is not None or play or output_raw
    if not shared and timings is None and subtitles is None and not json_input:
        raise GlowTTSError(
            "Nowhere to send the audio.",
            hint="Add --play to listen, -o FILE to save it or --output-raw to pipe it.",
        )
    to_stdout = output_raw or (out is not None and str(out) == "-")
    if out is not None and not to_stdout:
        from glowtts_cli.audio.writer import check_writable

        check_writable(out)
    from glowtts_cli.api import ENGINES, SynthesisOptions, Voice, resolve_engine

    if engine not in ENGINES:
        raise typer.BadParameter(
            f"{engine!r} is not one of {', '.join(ENGINES)}.", param_hint="'--engine'"
        )

    options = SynthesisOptions(
        speaker=int(speaker) if speaker is not None and speaker.isdigit() else speaker,
        noise_scale=noise_scale,
        length_scale=length_scale,
        sentence_silence=sentence_silence,
        seed=seed,
    )
    engine = resolve_engine(engine, seed=seed, noise_scale=noise_scale)
    # The torch engine imports torch here, after the cheap checks; the ONNX engine never does.
    loaded = Voice.load(voice, device=device, vocoder=vocoder, threads=threads, engine=engine)
    loaded.speaker_id(options.speaker)
    # Playing: each sentence arrives in vocoder pieces, so sound starts after a fraction of it.
    timed = timings is not None or subtitles is not None
    chunk_frames = PLAY_CHUNK_FRAMES if play else None
    speak = loaded.stream_ssml if ssml else loaded.stream
    stop = threading.Event()  # set when playing ends early: the line reader stops waiting
    if lines:
        requests = read_requests(sys.stdin.buffer, as_json=json_input, closed=stop)
        pieces = line_pieces(requests, loaded, options, ssml=ssml, shared=shared,
                              chunk_frames=chunk_frames, stdout_free=not to_stdout)  # fmt: skip
    else:
        stream = speak(content, options, chunk_frames=chunk_frames, timings=timed)
        pieces = _with_progress(stream, len(loaded.frontend.split_sentences(spoken)))
    words = _WordLog()
    if timed:
        pieces = words.collect(pieces)
    raw = output_raw
    if not play:
        _deliver(pieces, out, to_stdout, loaded.sample_rate, raw=raw)
    else:
        from glowtts_cli.audio.playback import playing

        with playing(pieces, loaded.sample_rate, stop=stop) as played:
            _deliver(played, out, to_stdout, loaded.sample_rate, raw=raw)
    words.write(timings, subtitles, spoken, loaded.sample_rate)


def _check_usage(
    text: str | None, text_file: Path | None, out: Path | None, *, output_raw: bool, lines: bool
) -> None:
    """Flags that contradict each other are usage errors (exit 2), found before any work."""
    if output_raw and out is not None:
        raise typer.BadParameter(
            "--output-raw writes to stdout; leave -o out (or use -o - for a WAV stream).",
            param_hint="'--output-raw'",
        )
    if lines and (text_file is not None or (text is not None and text != "-")):
        raise typer.BadParameter(
            "--line-by-line and --json-input read standard input; give no TEXT or --text-file.",
            param_hint="'--line-by-line'",
        )


def _list_speakers(voice: str | None) -> None:
    """The voice's speakers on stdout, one ``index<TAB>name`` a line; a note for one speaker."""
    from glowtts_cli.hub import resolve
    from glowtts_cli.voice_folder import read_voice_config
    from glowtts_cli.voices import default_voice

    cfg = read_voice_config(resolve(voice or default_voice()).path)
    if not cfg.model.multi_speaker:
        err_console().print(f"Voice '{cfg.name}' has a single speaker; leave --speaker out.")
        return
    names = list(cfg.speakers) or [""] * cfg.model.n_speakers
    for index, name in enumerate(names):
        sys.stdout.write(f"{index}\t{name}\n" if name else f"{index}\n")
    sys.stdout.flush()
    err_console().print(f"{len(names)} speakers; pick one with --speaker NAME or --speaker INDEX.")


def _check_timing_paths(timings: Path | None, subtitles: Path | None, *, lines: bool) -> None:
    """Usage errors before any work: a subtitle format we write, folders that exist."""
    if lines and (timings is not None or subtitles is not None):
        flag = "--timings" if timings is not None else "--subtitles"
        raise typer.BadParameter(
            "timings are written for one text; they cannot follow --line-by-line input.",
            param_hint=f"'{flag}'",
        )
    if subtitles is not None and subtitles.suffix.lower() not in (".srt", ".vtt"):
        raise typer.BadParameter(
            f"{subtitles} is neither .srt nor .vtt.", param_hint="'--subtitles'"
        )
    for flag, path in (("--timings", timings), ("--subtitles", subtitles)):
        if path is not None and (path.is_dir() or not path.absolute().parent.is_dir()):
            raise typer.BadParameter(
                f"cannot write {path}: not a file in an existing folder.", param_hint=f"'{flag}'"
            )


class _WordLog:
    """The timed words of a stream as its pieces go by, written out when it is done."""

    def __init__(self) -> None:
        self.words: list[WordTiming] = []
        self.samples = 0

    def collect(self, pieces: Iterator[Audio]) -> Iterator[Audio]:
        for piece in pieces:
            self.words.extend(piece.words)
            self.samples += len(piece.samples)
            yield piece

    def write(
        self, timings: Path | None, subtitles: Path | None, text: str, sample_rate: int
    ) -> None:
        from glowtts_cli.text.subtitles import subtitles as render
        from glowtts_cli.text.timings import timings_document

        if timings is not None:
            doc = timings_document(
                self.words, text=text, sample_rate=sample_rate, duration=self.samples / sample_rate
            )
            _write_text(timings, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
            err_console().print(f"wrote {timings} ({len(self.words)} words)")
        if subtitles is not None:
            _write_text(subtitles, render(self.words, text, subtitles.suffix))
            err_console().print(f"wrote {subtitles}")


def _write_text(path: Path, text: str) -> None:
    """Write a side file (timings, subtitles): a folder that takes no file is one clear error."""
    from glowtts_cli.audio.io import write_error
    from glowtts_cli.files import atomic_write_text

    try:
        atomic_write_text(path, text)
    except OSError as e:
        raise write_error(path, e) from e


def _stop_on_term_and_hup() -> None:
    """SIGTERM and SIGHUP (a closed terminal) stop ``say`` as Ctrl-C does: no temp file left."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and threading.current_thread() is threading.main_thread():
            signal.signal(getattr(signal, name), interrupt)


def _with_progress(pieces: Iterator[Audio], total: int) -> Iterator[Audio]:
    """Report progress on stderr for texts of more than a few sentences."""
    if total <= 3:
        yield from pieces
        return
    with progress_callback("synthesizing") as update:
        done = 0
        for piece in pieces:
            done += piece.sentence_end
            update(done, total)
            yield piece


def _deliver(
    pieces: Iterator[Audio], out: Path | None, to_stdout: bool, sample_rate: int, *, raw: bool
) -> None:
    """Consume the pieces: into a file (atomically), to stdout as a streamed WAV (or raw 16-bit
    PCM), or just played."""
    from glowtts_cli.audio.writer import StreamingAudioWriter, WavStreamWriter

    if out is None and not to_stdout:
        for _ in pieces:
            pass
        return
    if to_stdout:
        try:
            with WavStreamWriter(sys.stdout.buffer, sample_rate, header=not raw) as stream:
                for piece in pieces:
                    stream.write(piece.samples)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(128 + 13) from None  # 128 + SIGPIPE, the shell's convention
        return
    assert out is not None  # to_stdout is the only other way here
    with StreamingAudioWriter(out, sample_rate) as writer:
        for piece in pieces:
            writer.write(piece.samples)
    err_console().print(f"wrote {out} ({writer.frames / sample_rate:.1f} s)")
