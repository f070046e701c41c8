"""pytest fixture ``hub_server``: a local Hub, with the real huggingface_hub client pointed at it.

Register it for the whole suite with ``pytest_plugins = ["tests.hub_fixtures"]`` in
tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import close_session

from tests.hubserver import HubServer, point_client_at


@pytest.fixture
def hub_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A fresh local Hub; the client uses it, an empty HF_HOME, and ``HF_TOKEN=hub_server.token``.

    The token is the write token of user ``hub_server.user``. The server never advertises Xet,
    so transfers are plain HTTP whether or not hf_xet is installed (HF_HUB_DISABLE_XET is left
    alone: use ``hubserver.disable_xet`` to test that setting).
    """
    with HubServer() as server:
        point_client_at(monkeypatch, server.endpoint, tmp_path / "hf_home", server.token)
        # One pooled HTTP client per process: drop keep-alive connections to earlier servers.
        close_session()
        yield server
        close_session()
