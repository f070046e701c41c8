"""Alignment between tokens and mel frames: Monotonic Alignment Search (Glow-TTS training)."""

from glowtts_cli.align.mas import (
    lengths_from_mask,
    maximum_path,
    maximum_path_with_table,
    search_paths,
)

__all__ = ["lengths_from_mask", "maximum_path", "maximum_path_with_table", "search_paths"]
