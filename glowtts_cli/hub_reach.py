"""Whether the Hub can be reached at all, asked before a download that cannot come from the cache.

``huggingface_hub`` retries a request that finds no server five times over 23 s (its back-off for
a busy Hub), printing a "Retrying" line each time, before the one error that matters. A closed
port, an unknown host or no network answers a plain TCP connection at once, so one connection
to the endpoint (or to the proxy the client would use) tells first, and sends no request. It is
asked each time (a network can go away), and costs one connection per download that needs one;
a Hub that answers but fails still gets the client's retries.
"""

from __future__ import annotations

import socket
from urllib.parse import SplitResult, urlsplit

__all__ = ["CONNECT_TIMEOUT", "offline_mode", "unreachable"]

CONNECT_TIMEOUT = 5.0
"""Seconds a TCP connection to the Hub (or proxy) may take before it counts as unreachable."""


def unreachable(endpoint: str | None = None, *, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Why ``endpoint`` (default: the client's, ``HF_ENDPOINT``) cannot be reached, or None.

    The reason is a few words for a message: "127.0.0.1:9 refused the connection".
    """
    if endpoint is None:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    host, port = _first_hop(endpoint)
    if not host:
        return None  # not a URL we understand: let the client say what is wrong
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror:
        return f"the name {host} cannot be resolved (no network, or a wrong HF_ENDPOINT)"
    except TimeoutError:
        return f"{where} did not answer within {timeout:g} s"
    except ConnectionRefusedError:
        return f"{where} refused the connection"
    except OSError as e:
        return f"{where}: {(e.strerror or str(e)).lower()}"
    return None


def _first_hop(url: str) -> tuple[str, int]:
    """The host and port a connection to ``url`` goes to first: its proxy's, if one applies."""
    import urllib.request  # ssl and http.client with it: 11 ms that a local voice never needs

    parts = urlsplit(url)
    host = parts.hostname or ""
    proxies = urllib.request.getproxies_environment()  # what httpx reads (HTTPS_PROXY, ...)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and host and not urllib.request.proxy_bypass(host):
        hop = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        default = 443 if hop.scheme == "https" else 80
        return hop.hostname or "", _port(hop, default)
    return host, _port(parts, 443 if parts.scheme == "https" else 80)


def _port(parts: SplitResult, default: int) -> int:
    try:
        return parts.port or default
    except ValueError:  # a port out of range in the URL
        return default


def offline_mode() -> bool:
    """Whether ``HF_HUB_OFFLINE`` forbids the client any request (then only the cache answers)."""
    from huggingface_hub import constants

    return bool(getattr(constants, "HF_HUB_OFFLINE", False))
