"""The voices this machine knows: bundled and catalog voices, and other voices in the Hub cache.

One plain row per voice (``glowtts voices list`` renders them as a table or as ``--json``). No
torch here: listing stays fast.
"""

from __future__ import annotations

from typing import Any

from glowtts_cli.hub_cache import entry_status, list_cached_voices
from glowtts_cli.voice_folder import read_voice_config
from glowtts_cli.voices import load_catalog

__all__ = ["voice_rows"]


def voice_rows() -> list[dict[str, Any]]:
    """Bundled, catalog and cached voices as plain rows: name, source (``bundled``,
    ``catalog``, ``cached``), available_offline, bytes, language, speakers, license,
    description, repo_id and revision. A cached voice the catalog pins is listed once."""
    rows: list[dict[str, Any]] = []
    pinned = set()
    for entry in load_catalog().values():
        status = entry_status(entry)
        pinned.add((entry.repo_id, entry.revision))
        rows.append(
            {
                "name": entry.name,
                "source": "bundled" if entry.bundled else "catalog",
                "available_offline": status["available"],
                "bytes": status["bytes"],
                "language": entry.language,
                "speakers": list(entry.speakers),
                "license": entry.license,
                "description": entry.description,
                "repo_id": entry.repo_id or None,
                "revision": entry.revision or None,
            }
        )
    for cached in list_cached_voices():
        if (cached.repo_id, cached.revision) in pinned:
            continue
        try:
            cfg = read_voice_config(cached.path)
            language, speakers, license_ = cfg.language, list(cfg.speakers), cfg.license
            description = cfg.description
        except Exception:  # a broken cached config is listed, not fatal
            language, speakers, license_, description = "?", [], "?", "(unreadable config)"
        rows.append(
            {
                "name": f"{cached.repo_id}@{cached.revision[:10]}",
                "source": "cached",
                "available_offline": True,
                "bytes": cached.bytes,
                "language": language,
                "speakers": speakers,
                "license": license_,
                "description": description,
                "repo_id": cached.repo_id,
                "revision": cached.revision,
            }
        )
    return rows
