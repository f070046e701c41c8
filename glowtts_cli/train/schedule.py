"""Learning-rate schedules: the official Noam warm-up (Vaswani et al.), constant and exponential."""

from __future__ import annotations

from collections.abc import Callable

from glowtts_cli.config import TrainConfig


def learning_rate_at(cfg: TrainConfig, d_model: int) -> Callable[[int], float]:
    """The rate used for optimizer step ``step + 1`` (``step`` counts finished steps).

    Noam, as the official optimizer wrapper: ``lr * d_model^-0.5 * min(n^-0.5, n * warmup^-1.5)``
    with ``n`` the 1-based step number, peaking at step ``warmup_steps``. ``schedule_offset``
    steps trained before this run (``--init-from``) count as taken: the schedule continues.
    """
    offset = cfg.schedule_offset
    if cfg.scheduler == "noam":
        scale = cfg.learning_rate * d_model**-0.5

        def noam(step: int) -> float:
            n = step + 1 + offset
            return float(scale * min(n**-0.5, n * cfg.warmup_steps**-1.5))

        return noam
    if cfg.scheduler == "exponential":
        return lambda step: float(cfg.learning_rate * cfg.lr_decay ** (step + offset))
    return lambda step: cfg.learning_rate
