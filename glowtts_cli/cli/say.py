"""``glowtts say``: speak text (``--play``), write it (``-o``), or both, sentence by sentence."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from glowtts_cli.cli.console import err_console, progress_callback
from glowtts_cli.cli.textinput import read_text

if TYPE_CHECKING:
    from glowtts_cli.api import Audio

_DONE = object()


def say(
    text: str | None = typer.Argument(
        None, help="Text to speak; '-' or piped input reads standard input.", show_default=False
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write audio here (.wav, .flac, .ogg); '-' writes WAV to stdout."
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
) -> None:
    """Speak TEXT: play it (--play), write it (-o FILE), or both."""
    from glowtts_cli.errors import GlowTTSError

    content = read_text(text, text_file)
    if out is None and not play:
        raise GlowTTSError(
            "Nowhere to send the audio.", hint="Add --play to listen or -o FILE to save it."
        )
    to_stdout = out is not None and str(out) == "-"
    if out is not None and not to_stdout:
        from glowtts_cli.audio.writer import check_writable

        check_writable(out)
    from glowtts_cli.api import SynthesisOptions, Voice  # imports torch: after the cheap checks

    options = SynthesisOptions(
        speaker=int(speaker) if speaker is not None and speaker.isdigit() else speaker,
        noise_scale=noise_scale,
        length_scale=length_scale,
        sentence_silence=sentence_silence,
        seed=seed,
    )
    loaded = Voice.load(voice, device=device, vocoder=vocoder, threads=threads)
    loaded.speaker_id(options.speaker)
    pieces = _with_progress(
        loaded.stream(content, options), len(loaded.frontend.split_sentences(content))
    )
    if play:
        pieces = _played(pieces, loaded.sample_rate)
    _deliver(pieces, out, to_stdout, loaded.sample_rate)


def _with_progress(pieces: Iterator[Audio], total: int) -> Iterator[Audio]:
    """Report progress on stderr for texts of more than a few sentences."""
    if total <= 3:
        yield from pieces
        return
    with progress_callback("synthesizing") as update:
        for done, piece in enumerate(pieces, start=1):
            update(done, total)
            yield piece


def _produce(pieces: Iterator[Audio], q: queue.Queue[object]) -> None:
    try:
        for piece in pieces:
            q.put(piece)
        q.put(_DONE)
    except BaseException as e:  # handed to the consumer, which re-raises it
        q.put(e)


def _played(pieces: Iterator[Audio], sample_rate: int) -> Iterator[Audio]:
    """Play each piece as soon as it exists, while a thread synthesizes the next ones."""
    from glowtts_cli.audio.playback import StreamPlayer

    q: queue.Queue[object] = queue.Queue(maxsize=8)  # bounded: memory stays flat on long texts
    with StreamPlayer(sample_rate) as player:
        threading.Thread(target=_produce, args=(pieces, q), daemon=True).start()
        while (item := q.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            audio: Audio = item  # type: ignore[assignment]
            player.write(audio.samples)
            yield audio


def _deliver(pieces: Iterator[Audio], out: Path | None, to_stdout: bool, sample_rate: int) -> None:
    """Consume the pieces: into a file (atomically), to stdout as one WAV, or just played."""
    import numpy as np

    from glowtts_cli.audio.io import to_wav_bytes
    from glowtts_cli.audio.writer import StreamingAudioWriter

    if out is None:
        for _ in pieces:
            pass
        return
    if to_stdout:
        samples = [piece.samples for piece in pieces]
        data = to_wav_bytes(
            np.concatenate(samples) if samples else np.zeros(0, np.float32), sample_rate
        )
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    with StreamingAudioWriter(out, sample_rate) as writer:
        for piece in pieces:
            writer.write(piece.samples)
    err_console().print(f"wrote {out} ({writer.frames / sample_rate:.1f} s)")
