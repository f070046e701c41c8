"""Learning-rate schedules: the official Noam curve, and its continuation after ``--init-from``."""

from __future__ import annotations

import pytest

from glowtts_cli.config import TrainConfig
from glowtts_cli.errors import ConfigError
from glowtts_cli.train.schedule import learning_rate_at


def test_noam_peaks_at_warmup_with_the_official_value() -> None:
    lr = learning_rate_at(TrainConfig(), 192)
    peak = 192**-0.5 * 4000**-0.5  # base rate 1.0, d_model 192, warm-up 4000
    assert lr(3999) == pytest.approx(peak) and lr(3998) < lr(3999) > lr(4000)


@pytest.mark.parametrize("scheduler", ["noam", "exponential", "constant"])
def test_an_offset_continues_the_schedule(scheduler: str) -> None:
    rate = 1.0 if scheduler == "noam" else 1e-3
    fresh = learning_rate_at(TrainConfig(scheduler=scheduler, learning_rate=rate), 128)
    cont = learning_rate_at(
        TrainConfig(scheduler=scheduler, learning_rate=rate, schedule_offset=1500), 128
    )
    for step in (0, 1, 2499, 10_000):
        assert cont(step) == pytest.approx(fresh(step + 1500), rel=1e-12)
    if scheduler != "constant":
        assert cont(0) != fresh(0)


def test_a_negative_offset_is_refused() -> None:
    with pytest.raises(ConfigError, match="schedule_offset"):
        TrainConfig(schedule_offset=-1)
