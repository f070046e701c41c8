"""Issue 18: what the closing sweep of bad inputs still found in the Python API.

A sample rate of 0 reached libsndfile, whose error named the temporary file; samples that cannot
be written said so without a hint; ``max_seconds=-1`` was taken as a limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glowtts_cli.api import Audio, Voice
from glowtts_cli.errors import AudioFormatError, ConfigError


@pytest.mark.parametrize("rate", [0, -22050, 1.5, True])
def test_issue_18_a_bad_sample_rate_is_named_not_the_temporary(
    rate: object, tmp_path: Path
) -> None:
    target = tmp_path / "out.wav"
    with pytest.raises(AudioFormatError) as caught:
        Audio(np.zeros(100, np.float32), rate).save(target)  # type: ignore[arg-type]
    assert caught.value.message == (
        f"Cannot write {target}: the sample rate must be a whole number of Hz above 0, "
        f"got {rate!r}."
    )
    assert caught.value.hint and ".tmp" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("samples", "message"),
    [(np.full(10, np.nan, np.float32), "NaN or infinite"),
     (np.zeros((2, 10), np.float32), "Expected mono audio")],
)  # fmt: skip
def test_issue_18_unwritable_samples_carry_a_hint(
    samples: np.ndarray, message: str, tmp_path: Path
) -> None:
    with pytest.raises(AudioFormatError, match=message) as caught:
        Audio(samples, 22050).save(tmp_path / "x.wav")
    assert caught.value.hint


@pytest.mark.parametrize("limit", [-1, 0, float("nan"), float("inf"), "5"])
def test_issue_18_max_seconds_must_be_positive(limit: object, tiny_voice_dir: Path) -> None:
    voice = Voice.load(tiny_voice_dir, threads=1)
    with pytest.raises(ConfigError, match=r"^max_seconds must be a positive number of seconds"):
        list(voice.stream("Hello there.", max_seconds=limit))  # type: ignore[arg-type]
