"""Fixtures for the model tests: one CPU thread, the tiny config, an uneven batch, devices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from glowtts_cli.config import ModelConfig
from tests.model.uneven_batch import Batch


@pytest.fixture(autouse=True)
def _one_thread(one_thread: None) -> None:
    """Every test here runs on one torch thread (``one_thread`` in tests/conftest.py)."""


@pytest.fixture
def tiny_config() -> ModelConfig:
    """``ModelConfig.tiny()``: hidden 32, 2 heads, 2 encoder layers, 2 flow blocks x 2 WN layers."""
    return ModelConfig.tiny()


@pytest.fixture
def batch(tiny_config: ModelConfig) -> Batch:
    """An uneven batch for ``tiny_config``."""
    return Batch(tiny_config.n_vocab, tiny_config.n_mels)


@pytest.fixture(
    params=[
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
            ],
        ),
    ]
)
def device(request: pytest.FixtureRequest) -> Iterator[torch.device]:
    """Each available device. On CUDA, TF32 is off during the test, so float32 stays float32."""
    dev = torch.device(request.param)
    if dev.type != "cuda":
        yield dev
        return
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield dev
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
