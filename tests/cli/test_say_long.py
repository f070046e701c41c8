"""``glowtts say`` on a 1 MB text, Ctrl-C, and streaming order, run as users run it.

A 1 MB text is ~19,000 sentences, hours of audio: far too long to finish in a test. The checks
prove the properties while it runs instead: output grows from the first seconds (it streams),
the process's resident memory stays flat while megabytes of audio are written (bounded memory),
and Ctrl-C then ends it with exit 130, one line on stderr and no half-written file.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glowtts_cli.audio.io import to_wav_bytes
from glowtts_cli.audio.writer import WavStreamWriter
from tests.textgen import long_text

GLOWTTS = shutil.which("glowtts") or ""


@pytest.fixture(scope="module")
def big_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("text") / "big.txt"
    path.write_text(long_text(1_000_000))
    assert path.stat().st_size >= 1_000_000
    return path


def start(
    args: list[str | Path], *, cwd: Path, home: Path | None = None, stdout: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Start a command with Ctrl-C at its default (a background shell would have ignored it)."""
    env = {**os.environ, **({"HOME": str(home)} if home else {})}
    return subprocess.Popen(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


DEADLINE_S = 45.0
"""Give up waiting for a condition after this long (a failure, not a hang)."""


def wait_for(proc: subprocess.Popen[bytes], condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def interrupt(proc: subprocess.Popen[bytes]) -> str:
    """Ctrl-C; the command must exit 130 with the one line 'interrupted' and no traceback."""
    proc.send_signal(signal.SIGINT)
    _, err_bytes = proc.communicate(timeout=60)
    err = err_bytes.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "terminate called" not in err, err
    assert [line for line in err.splitlines() if line.strip()] == ["interrupted"], err
    return err


def say(voice: Path, *args: str | Path) -> list[str | Path]:
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    return [GLOWTTS, "say", "--voice", voice, "--threads", "1", "--seed", "1", *args]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_1mb_text_to_a_file_streams_in_bounded_memory_and_ctrl_c_leaves_no_file(
    tiny_voice_dir: Path, big_text: Path, tmp_path: Path
) -> None:
    # Ten seconds of silence after each sentence: many megabytes written for little compute.
    args = say(tiny_voice_dir, "--text-file", big_text, "--sentence-silence", "10", "-o", "out.wav")
    proc = start(args, cwd=tmp_path)

    def written() -> int:
        return sum(p.stat().st_size for p in tmp_path.glob(".out.wav.*.tmp"))

    wait_for(proc, lambda: written() > 1_000_000)  # warm: model loaded, a few sentences out
    base_rss, base_size, peak_rss = rss_bytes(proc.pid), written(), 0

    def grown() -> bool:
        nonlocal peak_rss
        peak_rss = max(peak_rss, rss_bytes(proc.pid))
        return written() > base_size + 32_000_000

    wait_for(proc, grown)
    growth = written() - base_size
    # Keeping the audio would cost 1 (int16) to 2 (float32) bytes of memory per byte written;
    # measured: ~3 MB of growth for 32 MB written.
    assert peak_rss - base_rss < 0.5 * growth, (base_rss, peak_rss, growth)
    interrupt(proc)
    assert not (tmp_path / "out.wav").exists(), "half-written output under the requested name"
    assert not list(tmp_path.glob(".*.tmp")), "temporary file left behind"


def test_1mb_text_to_stdout_streams_a_readable_wav(
    tiny_voice_dir: Path, big_text: Path, tmp_path: Path
) -> None:
    args = say(tiny_voice_dir, "--text-file", big_text, "-o", "-")
    proc = start(args, cwd=tmp_path, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    received = b""
    while len(received) < 1_000_000:  # audio arrives while hours of it are still to come
        chunk = os.read(proc.stdout.fileno(), 1 << 16)
        assert chunk, proc.communicate()[1].decode()
        received += chunk
    assert proc.poll() is None
    interrupt(proc)
    sizes = struct.unpack("<I", received[4:8])[0], struct.unpack("<I", received[40:44])[0]
    assert sizes == (0xFFFFFFFF, 0xFFFFFFFF)  # a pipe: length unknown, as sox and ffmpeg write
    even = received[: 44 + 2 * ((len(received) - 44) // 2)]
    samples, rate = sf.read(io.BytesIO(even), dtype="int16")
    assert rate == 22050 and len(samples) == (len(even) - 44) // 2
    assert np.abs(samples).max() > 0


PLAY_SCRIPT = """
    import sys
    from glowtts_cli.api import Voice
    from glowtts_cli.audio.playback import StreamPlayer
    from glowtts_cli.cli import main

    log = open(sys.argv[1], "a", buffering=1)

    def logged(name, original):
        def call(*args, **kwargs):
            log.write(name + "\\n")
            return original(*args, **kwargs)
        return call

    # Wrapped, not replaced: the real synthesis and the real PortAudio stream run.
    Voice._infer = logged("synth", Voice._infer)  # each sentence's mel (stream and mels)
    StreamPlayer.write = logged("play", StreamPlayer.write)
    sys.argv = ["glowtts", "say", *sys.argv[2:]]
    main()
"""


def play(
    voice: Path, log: Path, home: Path, cwd: Path, *args: str | Path
) -> subprocess.Popen[bytes]:
    """``glowtts say --play`` through the real ``main()``, logging synthesis and playback."""
    script: list[str | Path] = [sys.executable, "-c", textwrap.dedent(PLAY_SCRIPT), log]
    return start([*script, "--play", *say(voice, *args)[2:]], cwd=cwd, home=home)


def test_ctrl_c_during_play_of_1mb_exits_130_with_one_line(
    tiny_voice_dir: Path, big_text: Path, tmp_path: Path, null_audio_home: tuple[Path, Path]
) -> None:
    pytest.importorskip("sounddevice")
    home, raw = null_audio_home
    log = tmp_path / "events.log"
    proc = play(tiny_voice_dir, log, home, tmp_path, "--text-file", big_text, "-o", "both.wav")
    wait_for(proc, lambda: log.exists() and log.read_text().count("synth") >= 12)
    assert raw.stat().st_size > 0  # playing while ~19,000 sentences are still to come
    interrupt(proc)
    events = log.read_text().split()
    # The first sentence plays long before the last (never reached) is synthesized, and the
    # look-ahead is bounded: 8 queued pieces, one being handed over, one being synthesized.
    assert events.index("play") <= 10, events
    assert events.count("play") >= events.count("synth") - 10, events
    assert not (tmp_path / "both.wav").exists()
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("seekable", [True, False])
def test_wav_stream_writer_equals_a_whole_wav(seekable: bool) -> None:
    rng = np.random.default_rng(0)
    chunks = [rng.uniform(-1.2, 1.2, n).astype(np.float32) for n in (0, 1, 1000, 2047)]
    buffer = io.BytesIO()
    stream = buffer if seekable else io.BufferedWriter(_Pipe(buffer))
    with WavStreamWriter(stream, 16000) as writer:
        for chunk in chunks:
            writer.write(chunk)
    assert writer.frames == 3048
    whole = to_wav_bytes(np.concatenate(chunks), 16000)
    data = buffer.getvalue()
    assert data[44:] == whole[-2 * 3048 :]  # the same samples, converted by libsndfile
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    expected, _ = sf.read(io.BytesIO(whole), dtype="float32")
    assert rate == 16000
    np.testing.assert_array_equal(samples, expected)
    if seekable:  # a file: the real sizes are written into the header at the end
        assert struct.unpack("<I", data[40:44])[0] == 2 * 3048
        assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    else:
        assert struct.unpack("<I", data[40:44])[0] == 0xFFFFFFFF


class _Pipe(io.RawIOBase):
    """A write-only, non-seekable byte stream (like a pipe) over a buffer."""

    def __init__(self, target: io.BytesIO) -> None:
        self._target = target

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        return self._target.write(bytes(data))  # type: ignore[call-overload]
