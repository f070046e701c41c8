"""Real playback through PortAudio into an ALSA ``file`` PCM (no sound card needed).

ALSA reads ``~/.asoundrc`` when PortAudio starts, so each check runs in a child process whose HOME
holds a config that makes the default device a file sink; the test then reads back what was played.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest


def _run(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stream_plays_every_chunk_in_order(null_audio_home: tuple[Path, Path]) -> None:
    pytest.importorskip("sounddevice")
    home, raw = null_audio_home
    result = _run(
        """
        import numpy as np
        from glowtts_cli.audio.playback import play_stream
        sr = 22050
        x = (0.3 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype("float32")
        print(play_stream([x[:7000], x[7000:15000], x[15000:]], sr))
        """,
        home,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "22050"
    played = np.frombuffer(raw.read_bytes(), dtype=np.float32)
    expected = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)).astype(np.float32)
    assert played.shape == expected.shape
    np.testing.assert_array_equal(played, expected)


def test_missing_device_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("sounddevice")
    home = tmp_path / "home"
    home.mkdir()
    # A default PCM that points at a device which does not exist.
    (home / ".asoundrc").write_text(
        "pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n"
    )
    result = _run(
        """
        import numpy as np
        from glowtts_cli.audio.playback import play
        from glowtts_cli.errors import AudioDeviceError
        try:
            play(np.zeros(100, dtype="float32"), 22050)
        except AudioDeviceError as e:
            print("ERR", e.message, "|", e.hint)
        """,
        home,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ERR"), result.stdout + result.stderr
    assert "--out" in result.stdout
