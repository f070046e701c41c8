"""Binding: a busy port is a clear error; port 0 gets a free one."""

from __future__ import annotations

import re

import pytest

from glowtts_cli.errors import ConfigError
from glowtts_cli.server.run import bind


def test_port_zero_picks_a_free_port_and_a_busy_one_is_a_clear_error() -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        assert port > 0
        with pytest.raises(ConfigError, match=re.escape(f"127.0.0.1:{port}")) as info:
            bind("127.0.0.1", port)
        assert "--port" in (info.value.hint or "")
    finally:
        taken.close()


def test_an_unknown_host_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=re.escape("Cannot listen on no-such-host.invalid")):
        bind("no-such-host.invalid", 0)
