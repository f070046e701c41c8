"""Issue 18: the tracebacks the closing sweep of bad inputs found, each one clear line now.

``say --timings /proc/t.json`` (a folder that takes no new files) and ``dataset prepare --run
FILE`` (a run folder that is a file) raised OSError tracebacks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from glowtts_cli.cli import main


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["glowtts", *argv])
    with pytest.raises(SystemExit) as caught:
        main()
    return int(caught.value.code or 0)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith(("error:", "hint:"))]


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs /proc")
def test_issue_18_timings_into_proc(
    tiny_voice_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    out = tmp_path / "x.wav"
    argv = ["say", "Hi.", "--voice", str(tiny_voice_dir), "--threads", "1", "-o", str(out),
            "--timings", "/proc/t.json"]  # fmt: skip
    assert _run(argv, monkeypatch) == 1
    assert _lines(capsys) == [
        "error: Cannot write /proc/t.json: the folder /proc does not accept new files.",
        "hint: Choose another path; any file already there is unchanged.",
    ]


def test_issue_18_prepare_into_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    import soundfile as sf

    data = tmp_path / "ds"
    (data / "wavs").mkdir(parents=True)
    sf.write(data / "wavs" / "a0.wav", 0.3 * np.sin(np.arange(22050) / 10), 22050)
    (data / "metadata.csv").write_text("a0|Hello there.\n")
    run = tmp_path / "run.txt"
    run.write_text("mine")
    assert _run(["dataset", "prepare", str(data), "--run", str(run)], monkeypatch) == 1
    assert _lines(capsys) == [
        f"error: Cannot create {run / 'prepared'}: not a directory.",
        "hint: Choose a run folder that is a folder, or one that does not exist yet.",
    ]
    assert run.read_text() == "mine"


def test_issue_18_text_and_text_file_says_what_to_do(tmp_path: Path) -> None:
    from glowtts_cli.cli.textinput import read_text
    from glowtts_cli.errors import TextError

    with pytest.raises(TextError, match="not both") as caught:
        read_text("Hi.", tmp_path / "t.txt")
    assert caught.value.hint
