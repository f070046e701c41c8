"""Issue 18 item 11: library errors name parameters, the CLI names its flags.

``speak()`` says ``speaker=3`` and ``device='cpu'``; ``glowtts say`` says ``--speaker 3`` and
``--device cpu`` for the same errors (``cli.console.naming_flags``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from glowtts_cli.api import speak
from glowtts_cli.cli import main
from glowtts_cli.cli.console import naming_flags
from glowtts_cli.errors import ConfigError


def test_issue_18_speak_names_parameters_not_flags(tiny_voice_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        speak("Hi.", voice=str(tiny_voice_dir), speaker=3)
    assert caught.value.message.endswith("has a single speaker; speaker=3 is not valid.")
    assert caught.value.hint == "Leave speaker out."
    assert "--" not in str(caught.value)


def test_issue_18_say_names_its_flags(
    tiny_voice_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["glowtts", "say", "Hi.", "--voice", str(tiny_voice_dir), "--threads", "1",
            "--speaker", "3", "-o", "-"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: Voice 'tiny-test' has a single speaker; --speaker 3 is not valid.",
        "hint: Leave --speaker out.",
    ]


@pytest.mark.parametrize(
    ("library", "cli"),
    [("noise_scale must be >= 0", "--noise-scale must be >= 0"),
     ("Use device='cpu', or leave device out.", "Use --device cpu, or leave --device out."),
     ("Use engine='torch' for reproducible audio, or noise_scale=0.",
      "Use --engine torch for reproducible audio, or --noise-scale 0."),
     ("Leave speaker out.", "Leave --speaker out."),
     ("no CUDA device is available; model.noise_scale=1", "no CUDA device is available; "
      "model.noise_scale=1")],
)  # fmt: skip
def test_issue_18_parameters_become_flags(library: str, cli: str) -> None:
    @naming_flags("noise_scale", "device", "engine", "speaker")
    def command() -> None:
        raise ConfigError(library, hint=library)

    with pytest.raises(ConfigError) as caught:
        command()
    assert (caught.value.message, caught.value.hint) == (cli, cli)
