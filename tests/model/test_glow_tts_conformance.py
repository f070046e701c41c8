"""GlowTTS reproduces every tensor the official implementation saved in the reference folder.

The folder (``GLOWTTS_REFERENCE_DIR``) is read from its files alone, never from names: cases are
the key prefixes of ``glow_tts/tensors.safetensors``; train cases hold ``z``, infer cases
``y_gen``; a case ran on the input set (``inputs/<p>x``, ``x_lengths``, and ``y``/``y_lengths``,
``g`` speaker ids where saved) whose x fits its ``x_mask``; an infer case's length scale is
recovered from its saved durations and its noise scale from its saved noise; ``ddi/*`` are ActNorm
parameters after a DDI pass on the train case's batch.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from glowtts_cli.model.glow_tts import GlowTTS, log_likelihood_matrix
from glowtts_cli.model.official import from_official_state_dict, glowtts_from_official
from glowtts_cli.train.losses import duration_loss, mle_loss

Tensors = dict[str, torch.Tensor]


def _reference(reference_dir: Path) -> tuple[dict[str, object], Tensors, Tensors]:
    folder = reference_dir / "glow_tts"
    config = json.loads((folder / "config.json").read_text("utf-8"))
    return (
        config,
        load_file(folder / "state_dict.safetensors"),
        load_file(folder / "tensors.safetensors"),
    )


def _cases(tensors: Tensors, marker: str) -> list[str]:
    """Case names whose group holds ``<case>/<marker>``."""
    return sorted({k.split("/")[0] for k in tensors if k.endswith("/" + marker)})


def _close(name: str, ours: torch.Tensor, ref: torch.Tensor, *, exact: bool = False) -> None:
    ours = ours.detach().cpu()
    if ref.dim() == ours.dim() + 1 and ref.shape[1] == 1:  # official attn [b, 1, T_x, T_y]
        ref = ref.squeeze(1)
    assert ours.shape == ref.shape, f"{name}: shape {tuple(ours.shape)} != {tuple(ref.shape)}"
    if exact:
        assert torch.equal(ours.to(ref.dtype), ref), f"{name}: differs"
        return
    atol = 0.0 if ref.dim() <= 1 else 1e-5  # logdet [b] and the losses []: relative only
    torch.testing.assert_close(ours.to(ref.dtype), ref, rtol=1e-5, atol=atol, msg=name)


def _input_sets(tensors: Tensors) -> list[str]:
    """Key prefixes of the saved input sets (``inputs/``, ``inputs/short_`` ...)."""
    return sorted(
        k[:-1]
        for k in tensors
        if re.fullmatch(r"inputs/(\w+_)?x", k) and k[:-1] + "x_lengths" in tensors
    )


def _inputs(tensors: Tensors, state_dict: Tensors, case: str) -> Tensors:
    """The input set this case ran on: the one whose x fits the case's ``x_mask`` (shape and
    lengths); if several do, the one whose embedding is the saved ``encoder.emb.out``. Returns
    its ``x``, ``x_lengths`` and, where saved, ``y``, ``y_lengths`` and ``g`` (speaker ids)."""
    mask = tensors[f"{case}/x_mask"]
    lengths = mask.sum([1, 2]).long()
    fits = [
        p
        for p in _input_sets(tensors)
        if tuple(tensors[p + "x"].shape) == (mask.shape[0], mask.shape[2])
        and torch.equal(tensors[p + "x_lengths"].long(), lengths)
    ]
    emb = tensors.get(f"{case}/intermediate/encoder.emb.out")
    if len(fits) > 1 and emb is not None:
        table = state_dict["encoder.emb.weight"]
        fits = [p for p in fits if torch.equal(table[tensors[p + "x"]], emb)]
    assert len(fits) == 1, f"cannot tell the inputs of case {case}: {fits}"
    names = ("x", "x_lengths", "y", "y_lengths", "g")
    return {n: tensors[fits[0] + n] for n in names if fits[0] + n in tensors}


def _speaker(model: GlowTTS, inputs: Tensors, device: torch.device) -> torch.Tensor | None:
    """The official ``g``: speaker ids through ``emb_g``, normalised (None without speakers)."""
    if "g" not in inputs:
        assert not model.cfg.gin_channels, "a speaker-conditioned reference must save inputs/g"
        return None
    return model.speaker_embedding(inputs["g"].to(device))


def _length_scale(tensors: Tensors, case: str, n_sqz: int) -> float:
    """A length scale that gives this case's saved durations, from its files alone.

    Officially ``w = ceil(exp(logw) * x_mask * length_scale)``, and the outputs depend on the
    length scale only through ``w``: every scale in the interval that every token's saved
    duration allows gives the same outputs. A token whose frames reach its item's (trimmed)
    length may have been cut, so only the tokens before it bound the interval; the saved
    ``y_lengths`` must come out too. Of the candidates (2-decimal values in the interval and its
    midpoint), the one farthest from both ends is used.
    """
    e = (torch.exp(tensors[f"{case}/logw"]) * tensors[f"{case}/x_mask"]).double()[:, 0]  # [B, T_x]
    attn = tensors[f"{case}/attn"]
    d = (attn.squeeze(1) if attn.dim() == 4 else attn).sum(-1).double()  # [B, T_x] frames
    y_lengths = tensors[f"{case}/z_mask"].sum([1, 2]).double()  # [B]
    whole = (torch.cumsum(d, 1) < y_lengths[:, None]) & (e > 0)
    lo = float(((d - 1) / e)[whole].max()) if whole.any() else 0.0
    hi = float((d / e)[whole].min()) if whole.any() else math.inf
    assert lo < hi, f"{case}: no length scale gives the saved durations"

    def reproduces(scale: float) -> bool:
        w = torch.ceil(e.float() * scale)  # float32, as the model computes it
        total = torch.clamp_min(w.sum(1), 1)
        trimmed = torch.div(total, n_sqz, rounding_mode="floor") * n_sqz
        return torch.equal(trimmed, y_lengths.float())

    top = hi if math.isfinite(hi) else lo + 10.0
    candidates = [k / 100 for k in range(math.floor(lo * 100) + 1, math.ceil(top * 100) + 1)]
    candidates = [c for c in [*candidates, (lo + top) / 2] if lo < c <= top and reproduces(c)]
    assert candidates, f"{case}: no length scale reproduces the saved y_lengths"
    return max(candidates, key=lambda c: min(c - lo, top - c))


def _noise_scale(tensors: Tensors, case: str) -> float:
    """Recovered from the saved decoder input: z = (z_m + exp(z_logs) * eps * s) * mask."""
    eps = tensors.get(f"{case}/eps")
    if eps is None:
        return 0.0
    z = tensors.get(f"{case}/intermediate/decoder.input.z")
    if z is None:
        return 0.667  # the reference README's value for the noise case
    step = torch.exp(tensors[f"{case}/z_logs"]) * eps * tensors[f"{case}/z_mask"]
    s = float(torch.sum((z - tensors[f"{case}/z_m"]) * step) / torch.sum(step * step))
    return round(s, 6)


@contextmanager
def _recording(model: GlowTTS, names: list[str]) -> Iterator[Tensors]:
    """Record our outputs for the official module names in ``names`` (``<module>.out/.logdet``)."""
    found: Tensors = {}
    modules = dict(model.named_modules())
    handles = []

    def hook_for(official: str) -> Callable[[nn.Module, object, object], None]:
        def hook(module: nn.Module, args: object, out: object) -> None:
            if isinstance(out, tuple):
                found[official + ".out"], found[official + ".logdet"] = out
            else:
                assert isinstance(out, torch.Tensor)
                found[official + ".out"] = out

        return hook

    for official in {n.rsplit(".", 1)[0] for n in names}:
        ours = next(iter(from_official_state_dict({official + ".w": 0}))).removesuffix(".w")
        if ours in modules:
            handles.append(modules[ours].register_forward_hook(hook_for(official)))

    def decoder_input(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        found["decoder.input.z"], found["decoder.input.mask"] = args[0], args[1]

    handles.append(model.decoder.register_forward_pre_hook(decoder_input))
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()


def _check_intermediates(tensors: Tensors, case: str, found: Tensors, h: torch.Tensor) -> int:
    prefix = f"{case}/intermediate/"
    found["encoder.encoder.out"] = h
    checked = 0
    for key in sorted(k for k in tensors if k.startswith(prefix)):
        name = key[len(prefix) :]
        assert name in found, f"no counterpart recorded for {key}"
        _close(key, found[name], tensors[key])
        checked += 1
    return checked


def _model(reference_dir: Path, device: torch.device) -> tuple[GlowTTS, Tensors, Tensors]:
    config, state_dict, tensors = _reference(reference_dir)
    model = glowtts_from_official(state_dict, config).to(device)
    return model, state_dict, tensors


def test_train_cases_match(reference_dir: Path, device: torch.device) -> None:
    model, state_dict, tensors = _model(reference_dir, device)
    cases = _cases(tensors, "z")
    assert cases, "no train case in the reference"
    for case in cases:
        inputs = _inputs(tensors, state_dict, case)
        x, x_lengths = inputs["x"], inputs["x_lengths"]
        y, y_lengths = inputs["y"], inputs["y_lengths"]
        g = _speaker(model, inputs, device)
        names = [
            k.split("/intermediate/")[1] for k in tensors if k.startswith(f"{case}/intermediate/")
        ]
        with torch.no_grad(), _recording(model, names) as found:
            out = model.forward_train(
                x.to(device), x_lengths.to(device), y.to(device), y_lengths.to(device), g=g
            )
        h = model.encoder(x.to(device), x_lengths.to(device)).h
        ours = {
            "z": out.z, "z_m": out.mu_y, "z_logs": out.logs_y, "logdet": out.logdet,
            "x_m": out.mu_x, "x_logs": out.logs_x, "logw": out.logw, "logw_": out.logw_mas,
            "loss_mle": mle_loss(out.z, out.mu_y, out.logs_y, out.logdet, out.y_mask),
            "loss_duration": duration_loss(out.logw, out.logw_mas, x_lengths.to(device)),
            "mas_value": log_likelihood_matrix(out.z, out.mu_x, out.logs_x),
        }  # fmt: skip
        exact = {
            "z_mask": out.y_mask, "x_mask": out.x_mask, "attn": out.attn,
            "mas_mask": out.x_mask.transpose(1, 2) * out.y_mask,
        }  # fmt: skip
        saved = {k.split("/", 1)[1] for k in tensors if k.startswith(case + "/")}
        for name in sorted(saved - {n for n in saved if n.startswith("intermediate/")}):
            assert name in ours or name in exact, f"{case}/{name} has no counterpart"
            _close(
                f"{case}/{name}",
                (ours | exact)[name],
                tensors[f"{case}/{name}"],
                exact=name in exact,
            )
        assert _check_intermediates(tensors, case, found, h) == len(names)
        torch.testing.assert_close(out.y_lengths.cpu(), out.y_mask.sum([1, 2]).long().cpu())


def test_infer_cases_match(reference_dir: Path, device: torch.device) -> None:
    model, state_dict, tensors = _model(reference_dir, device)
    cases = _cases(tensors, "y_gen")
    assert cases, "no inference case in the reference"
    for case in cases:
        inputs = _inputs(tensors, state_dict, case)
        x, x_lengths = inputs["x"], inputs["x_lengths"]
        eps = tensors.get(f"{case}/eps")
        names = [
            k.split("/intermediate/")[1] for k in tensors if k.startswith(f"{case}/intermediate/")
        ]
        with _recording(model, names) as found:
            out = model.infer(
                x.to(device),
                x_lengths.to(device),
                g=_speaker(model, inputs, device),
                noise_scale=_noise_scale(tensors, case),
                length_scale=_length_scale(tensors, case, model.n_sqz),
                noise=None if eps is None else eps.to(device),
            )
        h = model.encoder(x.to(device), x_lengths.to(device)).h
        ours = {
            "y_gen": out.y, "z_m": out.mu_y, "z_logs": out.logs_y, "x_m": out.mu_x,
            "x_logs": out.logs_x, "logw": out.logw,
            "logw_": torch.log(1e-8 + out.attn.sum(-1)).unsqueeze(1) * out.x_mask,
        }  # fmt: skip
        exact = {
            "z_mask": out.y_mask, "x_mask": out.x_mask, "attn": out.attn,
            "y_lengths": out.y_lengths,
        }  # fmt: skip
        saved = {k.split("/", 1)[1] for k in tensors if k.startswith(case + "/")}
        for name in sorted(n for n in saved - {"eps"} if not n.startswith("intermediate/")):
            assert name in ours or name in exact, f"{case}/{name} has no counterpart"
            _close(
                f"{case}/{name}",
                (ours | exact)[name],
                tensors[f"{case}/{name}"],
                exact=name in exact,
            )
        assert _check_intermediates(tensors, case, found, h) == len(names)


def test_ddi_matches(reference_dir: Path, device: torch.device) -> None:
    model, state_dict, tensors = _model(reference_dir, device)
    keys = sorted(k for k in tensors if k.startswith("ddi/"))
    if not keys:
        pytest.skip("no ddi/* tensors in this reference set")
    (train,) = _cases(tensors, "z")  # DDI ran on the train case's batch
    inputs = {k: v.to(device) for k, v in _inputs(tensors, state_dict, train).items()}
    g = _speaker(model, inputs, device)
    model.set_ddi(True)
    with torch.no_grad():
        model.forward_train(inputs["x"], inputs["x_lengths"], inputs["y"], inputs["y_lengths"], g=g)
    params = dict(model.named_parameters())
    for key in keys:
        name = next(iter(from_official_state_dict({key[len("ddi/") :]: 0})))
        _close(key, params[name], tensors[key])


def test_noise_scale_recovery_is_sane(reference_dir: Path) -> None:
    """The recovered noise scale is 0 without eps and a finite positive number with it."""
    _, _, tensors = _reference(reference_dir)
    for case in _cases(tensors, "y_gen"):
        s = _noise_scale(tensors, case)
        assert (s == 0.0) == (f"{case}/eps" not in tensors) and math.isfinite(s)
