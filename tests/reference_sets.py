"""Where the reference set is and what it holds, read from its files (never from names).

``GLOWTTS_REFERENCE_DIR`` points the conformance tests at any set with the layout of
``tests/golden/reference/README.md``; these helpers discover its parts at collection time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import safe_open

if TYPE_CHECKING:
    import torch

    from glowtts_cli.model.glow_tts import GlowTTS

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY_VOCODER_FILES = ("config.json", "state_dict.safetensors", "tensors.safetensors")


def reference_path() -> Path:
    """``GLOWTTS_REFERENCE_DIR``, or the copy in ``tests/golden/reference``."""
    return Path(
        os.environ.get("GLOWTTS_REFERENCE_DIR", REPO_ROOT / "tests" / "golden" / "reference")
    )


def tiny_vocoder_folders(reference: Path) -> list[str]:
    """Folders under ``hifigan/`` holding a tiny official generator (config, weights, tensors)."""
    root = reference / "hifigan"
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if all((p / f).is_file() for f in TINY_VOCODER_FILES)
    )


def real_vocoder_goldens(reference: Path) -> list[str]:
    """``hifigan/*.safetensors`` files saved from real weights: they hold ``mel`` and ``audio``."""
    found = []
    for path in sorted((reference / "hifigan").glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as f:
            if {"mel", "audio"} <= set(f.keys()):
                found.append(path.name)
    return found


# -- a second reference set -----------------------------------------------------------------------
#
# Built with this project's implementation, which reproduces the official goldens (that is what
# the conformance tests check against tests/golden/reference). Its point is its *layout*: a
# multi-speaker Glow-TTS with mean_only false, no prenet and three encoder layers, speaker ids
# in inputs/g, case and input names unlike the default set's, a resblock-1 tiny HiFi-GAN, and
# the LJSpeech V1 weights' output instead of UNIVERSAL's. The conformance tests must pass on it
# without a change.

OTHER_GLOW_KWARGS: dict[str, Any] = {
    "n_vocab": 30, "hidden_channels": 24, "filter_channels": 48, "filter_channels_dp": 16,
    "out_channels": 80, "kernel_size": 3, "n_heads": 2, "n_layers_enc": 3, "p_dropout": 0.0,
    "n_blocks_dec": 3, "kernel_size_dec": 5, "dilation_rate": 2, "n_block_layers": 2,
    "p_dropout_dec": 0.0, "n_speakers": 4, "gin_channels": 8, "n_split": 4, "n_sqz": 2,
    "sigmoid_scale": False, "window_size": 4, "block_length": None, "mean_only": False,
    "hidden_channels_enc": None, "hidden_channels_dec": None, "prenet": False,
}  # fmt: skip
"""Official ``FlowGenerator`` keyword arguments of the second set's model."""

OTHER_V1_CHANGES: dict[str, Any] = {
    "resblock": "1", "upsample_rates": [8, 8, 2, 2], "upsample_kernel_sizes": [16, 16, 4, 4],
    "upsample_initial_channel": 32, "resblock_kernel_sizes": [3, 7, 11],
    "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
}  # fmt: skip
"""Official ``config_v1.json`` geometry, 32 initial channels (over the default set's tiny one)."""


def build_other_reference_set(out: Path, default: Path, *, real_vocoder: str = "ljspeech") -> Path:
    """Write a second reference set under ``out``; parts that need no change (MAS, text, the mel
    golden, the full-size key listing) are copied from ``default``."""
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    for part in ("mas", "text"):
        shutil.copytree(default / part, out / part, dirs_exist_ok=True)
    (out / "glow_tts").mkdir(exist_ok=True)
    (out / "hifigan").mkdir(exist_ok=True)
    shutil.copy(default / "glow_tts" / "official_base_keys.json", out / "glow_tts")
    shutil.copy(default / "hifigan" / "hifigan_mel.safetensors", out / "hifigan")
    _write_glow_tts(out / "glow_tts")
    mel = _load(default / "hifigan" / "hifigan_mel.safetensors")["mel"]
    _write_tiny_v1(out / "hifigan" / "tiny_v1", default, mel)
    _write_real_v1(out / "hifigan" / f"hifigan_v1_{real_vocoder}.safetensors", real_vocoder, mel)
    (out / "README.md").write_text(
        "# A second reference set (tests only)\n\nThe layout of tests/golden/reference/README.md; "
        "made by tests/reference_sets.py with glowtts-cli's implementation.\n",
        "utf-8",
    )
    return out


def _load(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(path)


def _save(tensors: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().clone().contiguous() for k, v in tensors.items()}, str(path))


def _perturbed(state: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    """As the reference README does: every tensor + 0.05 N(0, 1), ``weight_g`` then times
    exp(0.2 N(0, 1)), so no zero-initialised branch is an identity and ``g != ||v||``."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key in sorted(state):
        value = state[key].float() + 0.05 * torch.randn(state[key].shape, generator=gen)
        if key.endswith("weight_g"):
            value = value * torch.exp(0.2 * torch.randn(value.shape, generator=gen))
        out[key] = value
    return out


def _padded_ids(gen: torch.Generator, lengths: list[int], n_vocab: int) -> torch.Tensor:
    import torch

    x = torch.randint(1, n_vocab, (len(lengths), max(lengths)), generator=gen)
    for row, n in enumerate(lengths):
        x[row, n:] = 0
    return x


def _write_glow_tts(folder: Path) -> None:
    import json

    import torch

    from glowtts_cli.config import ModelConfig
    from glowtts_cli.model.glow_tts import GlowTTS, log_likelihood_matrix
    from glowtts_cli.model.official import glowtts_from_official, to_official_state_dict
    from glowtts_cli.train.losses import duration_loss, mle_loss

    kwargs = OTHER_GLOW_KWARGS
    torch.manual_seed(31)
    official = _perturbed(to_official_state_dict(GlowTTS(ModelConfig.from_official(kwargs))
                                                  .state_dict()), seed=32)  # fmt: skip
    (folder / "config.json").write_text(json.dumps(kwargs, indent=2), "utf-8")
    _save(official, folder / "state_dict.safetensors")
    model = glowtts_from_official(official, kwargs)

    gen = torch.Generator().manual_seed(33)
    x_lengths, y_lengths = torch.tensor([7, 9, 4]), torch.tensor([25, 29, 20])
    y = torch.randn(3, 80, 29, generator=gen)
    for row, n in enumerate(y_lengths.tolist()):
        y[row, :, n:] = 0
    t: dict[str, torch.Tensor] = {
        "inputs/x": _padded_ids(gen, x_lengths.tolist(), kwargs["n_vocab"]),
        "inputs/x_lengths": x_lengths,
        "inputs/y": y,
        "inputs/y_lengths": y_lengths,
        "inputs/g": torch.tensor([2, 0, 3]),
        "inputs/few_x": _padded_ids(gen, [3, 2], kwargs["n_vocab"]),  # T_x 3 < window + 1
        "inputs/few_x_lengths": torch.tensor([3, 2]),
        "inputs/few_g": torch.tensor([1, 3]),
    }
    g = model.speaker_embedding(t["inputs/g"])
    with torch.no_grad():
        out = model.forward_train(t["inputs/x"], x_lengths, y, y_lengths, g=g)
    t |= {
        "fwd/z": out.z, "fwd/z_m": out.mu_y, "fwd/z_logs": out.logs_y, "fwd/logdet": out.logdet,
        "fwd/z_mask": out.y_mask, "fwd/x_m": out.mu_x, "fwd/x_logs": out.logs_x,
        "fwd/x_mask": out.x_mask, "fwd/attn": out.attn.unsqueeze(1), "fwd/logw": out.logw,
        "fwd/logw_": out.logw_mas,
        "fwd/loss_mle": mle_loss(out.z, out.mu_y, out.logs_y, out.logdet, out.y_mask),
        "fwd/loss_duration": duration_loss(out.logw, out.logw_mas, x_lengths),
        "fwd/mas_value": log_likelihood_matrix(out.z, out.mu_x, out.logs_x),
        "fwd/mas_mask": out.x_mask.transpose(1, 2) * out.y_mask,
    }  # fmt: skip
    for case, prefix, scale in (("gen", "", 1.0), ("gen_slow", "", 1.45), ("gen_b", "few_", 0.8)):
        ids, lengths = t[f"inputs/{prefix}x"], t[f"inputs/{prefix}x_lengths"]
        g_case = model.speaker_embedding(t[f"inputs/{prefix}g"])
        t |= _infer_case(model, case, ids, lengths, g_case, scale)
    flat = model.infer(t["inputs/x"], x_lengths, g=g, noise_scale=0.0)
    eps = torch.randn(flat.y.shape, generator=gen)
    t |= _infer_case(model, "sampled", t["inputs/x"], x_lengths, g, 1.0, noise=(0.5, eps))

    ddi = glowtts_from_official(official, kwargs)
    ddi.set_ddi(True)
    with torch.no_grad():
        ddi.forward_train(
            t["inputs/x"], x_lengths, y, y_lengths, g=ddi.speaker_embedding(t["inputs/g"])
        )
    for key, value in to_official_state_dict(ddi.state_dict()).items():
        if re.fullmatch(r"decoder\.flows\.\d+\.(logs|bias)", key):
            t[f"ddi/{key}"] = value
    _save(t, folder / "tensors.safetensors")


def _infer_case(
    model: GlowTTS,
    case: str,
    x: torch.Tensor,
    x_lengths: torch.Tensor,
    g: torch.Tensor,
    length_scale: float,
    noise: tuple[float, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    import torch

    scale, eps = noise if noise is not None else (0.0, None)
    out = model.infer(x, x_lengths, g=g, noise_scale=scale, length_scale=length_scale, noise=eps)
    saved = {
        "y_gen": out.y, "z_m": out.mu_y, "z_logs": out.logs_y, "x_m": out.mu_x,
        "x_logs": out.logs_x, "logw": out.logw, "z_mask": out.y_mask, "x_mask": out.x_mask,
        "attn": out.attn.unsqueeze(1), "y_lengths": out.y_lengths,
        "logw_": torch.log(1e-8 + out.attn.sum(-1)).unsqueeze(1) * out.x_mask,
    }  # fmt: skip
    if eps is not None:
        saved["eps"] = eps
        z = (out.mu_y + torch.exp(out.logs_y) * eps * scale) * out.y_mask
        saved["intermediate/decoder.input.z"] = z
    return {f"{case}/{k}": v for k, v in saved.items()}


def _write_tiny_v1(folder: Path, default: Path, mel: torch.Tensor) -> None:
    """An official-layout resblock-1 generator: weight-normed (``weight_g``/``weight_v``, with
    g != ||v||) and folded weights, and its output on two 40-frame pieces of the golden mel."""
    import json

    import torch

    from glowtts_cli.config import HiFiGANConfig
    from glowtts_cli.vocoder.hifigan import HiFiGANGenerator
    from glowtts_cli.vocoder.weights import load_generator_state

    (tiny,) = tiny_vocoder_folders(default)
    config = json.loads((default / "hifigan" / tiny / "config.json").read_text("utf-8"))
    config |= OTHER_V1_CHANGES
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2), "utf-8")
    torch.manual_seed(41)
    generator = HiFiGANGenerator(HiFiGANConfig.from_official(config)).eval()
    folded = _perturbed(generator.state_dict(), seed=42)
    generator.load_state_dict(folded)
    gen = torch.Generator().manual_seed(43)
    normed = {}
    for key, w in folded.items():
        if not key.endswith(".weight"):
            normed[key] = w
            continue
        dims = tuple(range(1, w.dim()))
        scale = torch.exp(0.3 * torch.randn((w.shape[0],) + (1,) * (w.dim() - 1), generator=gen))
        normed[key[: -len("weight")] + "weight_g"] = w.norm(dim=dims, keepdim=True)
        normed[key[: -len("weight")] + "weight_v"] = w * scale
    _save(normed, folder / "state_dict.safetensors")
    _save(folded, folder / "state_dict_folded.safetensors")
    pieces = torch.cat([mel[:, :, :40], mel[:, :, 40:80]])  # [2, 80, 40]
    from_normed = HiFiGANGenerator(generator.cfg).eval()
    load_generator_state(from_normed, normed)
    tensors = {
        "mel": pieces,
        "audio": generator.vocode(pieces).unsqueeze(1),
        "audio_with_weight_norm": from_normed.vocode(pieces).unsqueeze(1),
    }
    _save(tensors, folder / "tensors.safetensors")


def _write_real_v1(path: Path, name: str, mel: torch.Tensor) -> None:
    """A bundled official V1 checkpoint's output on the golden mel, saved as the README says."""
    from glowtts_cli.vocoder.bundled import load_bundled

    audio = load_bundled(name).vocode(mel).unsqueeze(1)  # [1, 1, S]
    import torch

    int16 = (audio.squeeze() * 32768.0).to(torch.int16)  # the cast truncates, as numpy's does
    _save({"mel": mel, "audio": audio, "audio_with_weight_norm": audio, "audio_int16": int16}, path)
