"""Deliberate thread settings for inference."""

from __future__ import annotations

import os

import pytest
import torch

from glowtts_cli import threads
from glowtts_cli.errors import ConfigError


def test_default_is_physical_cores_capped_at_four() -> None:
    cores = threads.physical_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    assert threads.default_threads() == min(cores, threads.MAX_DEFAULT_THREADS)


def test_set_and_restore() -> None:
    before = torch.get_num_threads()
    try:
        assert threads.set_inference_threads(1) == 1
        assert torch.get_num_threads() == 1
        assert threads.set_inference_threads() == threads.default_threads()
        assert torch.get_num_threads() == threads.default_threads()
    finally:
        torch.set_num_threads(before)


def test_invalid_count() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        threads.set_inference_threads(0)
