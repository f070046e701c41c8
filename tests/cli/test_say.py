"""``glowtts say`` run as users run it: the installed command in a subprocess."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

GLOWTTS = shutil.which("glowtts") or ""


def run(
    *args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    assert GLOWTTS, "the glowtts command is not installed (pip install -e .)"
    return subprocess.run(
        [GLOWTTS, *map(str, args)],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err, err
    assert err.startswith("error: "), err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: ")), err
    return err


def test_writes_a_readable_wav(tiny_voice_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    result = run("say", "Hello world. How are you?", "--voice", tiny_voice_dir, "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    data, rate = sf.read(out)
    assert rate == 22050 and data.ndim == 1
    assert 0.2 < len(data) / rate < 30
    assert not list(tmp_path.glob(".*.tmp")), "temporary file left behind"


def test_stdin_and_stdout_wav_and_flac(tiny_voice_dir: Path, tmp_path: Path) -> None:
    result = run(
        "say", "-", "--voice", tiny_voice_dir, "-o", "-", "--seed", "1", stdin=b"Piped text."
    )
    assert result.returncode == 0, result.stderr.decode()
    data, rate = sf.read(io.BytesIO(result.stdout))
    assert rate == 22050 and len(data) > 1000
    piped = run("say", "--voice", tiny_voice_dir, "-o", tmp_path / "p.flac", stdin=b"Hello.")
    assert piped.returncode == 0, piped.stderr.decode()
    assert sf.info(str(tmp_path / "p.flac")).format == "FLAC"


def test_play_streams_to_the_sound_device(
    tiny_voice_dir: Path, tmp_path: Path, null_audio_home: tuple[Path, Path]
) -> None:
    pytest.importorskip("sounddevice")
    home, raw = null_audio_home
    out = tmp_path / "both.wav"
    result = run(
        "say", "One. Two.", "--voice", tiny_voice_dir, "--play", "-o", out, "--seed", "3",
        env={"HOME": str(home)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    played = np.frombuffer(raw.read_bytes(), dtype=np.float32)
    written, _ = sf.read(out, dtype="float32")
    assert len(played) == len(written)
    np.testing.assert_allclose(played, written, atol=1 / 32768 + 1e-6)


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["say", "   ", "-o", "x.wav"], None, "empty"),
        (["say", "-", "-o", "x.wav"], b"\x00\x01\x02\xff\xfe binary", "not UTF-8"),
        (["say", "Hello", "-o", "x.aac"], None, "aac"),  # mp3 and opus are written
        (["say", "Hello", "-o", "/nonexistent-dir/x.wav"], None, "does not exist"),
        (["say", "Hello"], None, "Nowhere"),
        (["say", "Hello", "-o", "x.wav", "--voice", "no-such-voice"], None, "not found"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], stdin: bytes | None, needle: str, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    err = one_line_error(run(*args, stdin=stdin))
    assert needle in err
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [
        ("--length-scale", "0", "--length-scale"),
        ("--noise-scale", "nan", "--noise-scale"),
        ("--length-scale", "1e9", "--length-scale"),
        ("--speaker", "bob", "single speaker"),
        ("--device", "cuda:7", "cuda:7"),
        ("--vocoder", "hifigun", "Unknown vocoder"),
    ],
)
def test_bad_options_are_one_line(
    tiny_voice_dir: Path, tmp_path: Path, flag: str, value: str, needle: str
) -> None:
    out = tmp_path / "x.wav"
    err = one_line_error(run("say", "Hello.", "--voice", tiny_voice_dir, "-o", out, flag, value))
    assert needle in err
    assert not out.exists()


def test_nothing_pronounceable(tiny_voice_dir: Path, tmp_path: Path) -> None:
    err = one_line_error(
        run("say", "?!... ---", "--voice", tiny_voice_dir, "-o", tmp_path / "x.wav")
    )
    assert "pronounce" in err or "nothing" in err


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("glowtts ")
    bare = run()
    assert b"say" in bare.stdout + bare.stderr


def test_help_shows_defaults_and_brackets_as_written() -> None:
    """Help texts are plain text: "[default: 8]" and "org/repo[@rev]" are not eaten as markup."""
    from glowtts_cli.config import TrainConfig

    def flat(*args: str) -> str:
        result = run(*args, "--help", env={"COLUMNS": "100"})
        assert result.returncode == 0, result.stderr.decode()
        return " ".join(result.stdout.decode().split())

    say = flat("say")
    assert "org/repo[@rev]" in say and "[default: the voice's]" in say
    tuned = TrainConfig.finetune()
    finetune = flat("finetune")
    assert f"Clips per step. [default: {tuned.batch_size}]" in finetune
    assert f"Constant rate. [default: {tuned.learning_rate:g}]" in finetune
    assert f"[default: {TrainConfig().max_steps}]" in flat("train")


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys\nfrom glowtts_cli.cli import main\nsys.argv=['glowtts','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('TORCH' if 'torch' in sys.modules else 'NOTORCH')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.stderr.decode().endswith("NOTORCH")
