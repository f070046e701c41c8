"""Run an exported voice graph with onnxruntime: ids in, samples out, without importing torch.

``glowtts say --engine onnx`` and ``Voice.load(engine="onnx")`` use it; the text front end and
sentence handling stay the API's, so both engines speak the same ids.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from glowtts_cli.errors import ConfigError, VoiceNotFoundError
from glowtts_cli.files import cache_root, read_json, sha256_file
from glowtts_cli.voice_folder import MODEL_FILE

__all__ = [
    "ONNX_CONFIG_FILE",
    "ONNX_FILE",
    "OnnxSynthesizer",
    "cached_graph_dir",
    "cached_graph_entry",
    "graph_folder",
    "graph_mismatch",
    "onnxruntime_available",
]

ONNX_FILE = "model.onnx"
"""The exported graph inside a voice folder."""
ONNX_CONFIG_FILE = "model.onnx.json"
"""Its Piper voice config (Piper's default name: the model path plus ``.json``)."""
INSTALL_HINT = 'Install onnxruntime with: pip install "glowtts-cli[onnx]"'
GRAPH_CACHE = "onnx"
"""Folder of the user cache holding the graphs of voices whose folders are not the user's."""


def onnxruntime_available() -> bool:
    """Whether onnxruntime can be imported (checked without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def cached_graph_dir(weights_sha256: str) -> Path:
    """Where ``glowtts voices export-onnx`` puts the graph of a bundled, catalog or Hub voice
    (folders that are not the user's to write): the user cache, by the weights' checksum."""
    return cache_root() / GRAPH_CACHE / weights_sha256[:16]


def graph_mismatch(folder: Path) -> str | None:
    """Why ``folder``'s exported graph would not give the torch engine's audio, or None.

    None means: ``model.onnx`` and its config are there, and the graph was exported from the
    folder's current ``model.safetensors`` (or the folder holds no torch weights at all).
    """
    if not _has_graph(folder):
        return f"{folder} holds no exported graph ({ONNX_FILE} and {ONNX_CONFIG_FILE})"
    weights = folder / MODEL_FILE
    if weights.is_file() and _exported_from(folder) != sha256_file(weights):
        return f"{folder / ONNX_FILE} was exported from other weights than {MODEL_FILE}"
    return None


def graph_folder(voice_folder: Path) -> Path | None:
    """The folder holding a graph exported from ``voice_folder``'s current weights: the voice
    folder itself, else its entry in the user cache (:func:`cached_graph_dir`); None if neither.
    """
    if graph_mismatch(voice_folder) is None:
        return voice_folder
    entry = cached_graph_entry(voice_folder)
    if entry is None:
        return None
    cached, digest = entry
    return cached if _has_graph(cached) and _exported_from(cached) == digest else None


def cached_graph_entry(voice_folder: Path) -> tuple[Path, str] | None:
    """The user-cache folder for ``voice_folder``'s current weights (:func:`cached_graph_dir`,
    exported into or not) and their sha256; None when the folder has no torch weights or
    nothing was ever exported into the cache (then the weights are not checksummed)."""
    weights = voice_folder / MODEL_FILE
    if not weights.is_file() or not (cache_root() / GRAPH_CACHE).is_dir():
        return None
    digest = sha256_file(weights)
    return cached_graph_dir(digest), digest


def _has_graph(folder: Path) -> bool:
    return (folder / ONNX_FILE).is_file() and (folder / ONNX_CONFIG_FILE).is_file()


def _exported_from(folder: Path) -> str | None:
    """The sha256 of the weights ``folder``'s graph was exported from, as its config records."""
    recorded = read_json(folder / ONNX_CONFIG_FILE).get("glowtts", {}).get("model_sha256")
    return recorded if isinstance(recorded, str) else None


class OnnxSynthesizer:
    """An exported voice graph in an onnxruntime session (CPU).

    Not a voice: it knows ids, scales and speaker ids only. Noise comes from the graph's own
    random source, so a seed cannot make it reproducible (noise scale 0 is deterministic).
    """

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        """Open ``folder/model.onnx``; ``threads`` None keeps onnxruntime's default (cores)."""
        path = folder / ONNX_FILE
        if not path.is_file():
            raise VoiceNotFoundError(
                f"{folder} holds no exported graph ({ONNX_FILE}).",
                hint="Export one with: glowtts voices export-onnx VOICE",
            )
        try:
            import onnxruntime
        except ImportError as e:
            raise ConfigError("The ONNX engine needs onnxruntime.", hint=INSTALL_HINT) from e
        options = onnxruntime.SessionOptions()
        # The exporter has already folded constants; onnxruntime's own graph rewrites cost 0.25 s
        # of every load (0.43 s -> 0.17 s for a 44 MB graph) and made synthesis no faster
        # (HiFi-GAN V1 and Vocos voices, one thread: benchmarks/onnx_say.py).
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own untyped errors for a bad file
            raise ConfigError(
                f"{path} is not a readable ONNX graph ({e}).",
                hint="Export it again with `glowtts voices export-onnx`.",
            ) from e
        self.multi_speaker = any(i.name == "sid" for i in self.session.get_inputs())

    def audio(
        self,
        ids: Sequence[int],
        *,
        noise_scale: float,
        length_scale: float,
        sid: int | None = None,
    ) -> tuple[npt.NDArray[np.float32], list[int]]:
        """One utterance's waveform (float32, [-1, 1]) from its ids (blanks included), and the
        frames each id lasted."""
        feeds: dict[str, Any] = {
            "input": np.asarray([ids], dtype=np.int64),
            "input_lengths": np.asarray([len(ids)], dtype=np.int64),
            "scales": np.asarray([noise_scale, length_scale, 0.0], dtype=np.float32),
        }
        if self.multi_speaker:
            feeds["sid"] = np.asarray([0 if sid is None else sid], dtype=np.int64)
        wav, durations = self.session.run(None, feeds)
        frames = [round(float(f)) for f in durations[0]]
        return np.ascontiguousarray(wav[0, 0], dtype=np.float32), frames
