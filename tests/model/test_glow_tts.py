"""GlowTTS end to end: golden shapes on an uneven batch, padding invariance, durations, speakers."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from glowtts_cli.config import EncoderConfig, ModelConfig
from glowtts_cli.errors import ConfigError
from glowtts_cli.model.glow_tts import GlowTTS
from glowtts_cli.train.losses import duration_loss, mle_loss
from tests.model.uneven_batch import Batch


def _model(cfg: ModelConfig) -> GlowTTS:
    torch.manual_seed(0)
    model = GlowTTS(cfg).eval()
    with torch.no_grad():  # leave the identity init, so that every layer matters
        for name, p in model.named_parameters():
            if name.endswith(("end.weight", "end.bias", "logs", "bias", "prenet.proj.weight")):
                p.normal_(std=0.1)
    return model


def test_forward_train_shapes_on_an_uneven_batch(tiny_config: ModelConfig, batch: Batch) -> None:
    out = _model(tiny_config).forward_train(batch.x, batch.x_lengths, batch.y, batch.y_lengths)
    b, m, t_x, t_y = 3, tiny_config.n_mels, 7, 14  # T_y 15 is trimmed to 14
    shapes = {
        "z": (b, m, t_y), "mu_y": (b, m, t_y), "logs_y": (b, m, t_y), "logdet": (b,),
        "y_mask": (b, 1, t_y), "y_lengths": (b,), "mu_x": (b, m, t_x), "logs_x": (b, m, t_x),
        "x_mask": (b, 1, t_x), "attn": (b, t_x, t_y), "logw": (b, 1, t_x), "logw_mas": (b, 1, t_x),
    }  # fmt: skip
    assert {k: tuple(v.shape) for k, v in out._asdict().items()} == shapes
    assert out.y_lengths.tolist() == [12, 14, 6]
    assert torch.equal(out.attn.sum(1), out.y_mask.squeeze(1))  # each frame has one token
    assert torch.equal(out.attn.sum(2) > 0, out.x_mask.squeeze(1) > 0)  # each token >= 1 frame
    assert torch.all(out.z * (1 - out.y_mask) == 0)


def test_infer_shapes_and_lengths(tiny_config: ModelConfig, batch: Batch) -> None:
    out = _model(tiny_config).infer(batch.x, batch.x_lengths, noise_scale=0.5)
    t_y = int(out.y_lengths.max())
    b, m, t_x = 3, tiny_config.n_mels, 7
    assert out.y.shape == (b, m, t_y) and out.z.shape == (b, m, t_y)
    assert out.attn.shape == (b, t_x, t_y) and out.w_ceil.shape == (b, 1, t_x)
    assert out.y_mask.shape == (b, 1, t_y) and out.logdet.shape == (b,)
    assert torch.all(out.y_lengths % tiny_config.decoder.n_sqz == 0)
    assert torch.equal(out.y_mask.sum([1, 2]).long(), out.y_lengths)
    assert torch.all(out.y * (1 - out.y_mask) == 0)
    # Frames per token are the ceiled durations, less what the trim to n_sqz cut off the end.
    used = out.attn.sum(-1)
    assert torch.all(used <= out.w_ceil.squeeze(1))
    assert torch.equal(used.sum(1).long(), out.y_lengths)


def test_length_scale_stretches_and_noise_is_reproducible(
    tiny_config: ModelConfig, batch: Batch
) -> None:
    model = _model(tiny_config)
    short = model.infer(batch.x, batch.x_lengths, length_scale=1.0).y_lengths
    long = model.infer(batch.x, batch.x_lengths, length_scale=2.0).y_lengths
    assert torch.all(long > short)
    a = model.infer(batch.x, batch.x_lengths, generator=torch.Generator().manual_seed(5)).y
    b = model.infer(batch.x, batch.x_lengths, generator=torch.Generator().manual_seed(5)).y
    c = model.infer(batch.x, batch.x_lengths, generator=torch.Generator().manual_seed(6)).y
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError, match="noise has shape"):
        model.infer(batch.x, batch.x_lengths, noise=torch.zeros(3, tiny_config.n_mels, 1))


def test_batch_equals_items_alone(tiny_config: ModelConfig, batch: Batch) -> None:
    """Encoder, decoder and noiseless inference give each item the same result in a padded batch."""
    model = _model(tiny_config)
    with torch.no_grad():
        enc = model.encoder(batch.x, batch.x_lengths)
        y_mask = (torch.arange(14) < torch.tensor([12, 14, 6])[:, None]).float().unsqueeze(1)
        z, logdet = model.decoder(batch.y[:, :, :14] * y_mask, y_mask)
        gen = model.infer(batch.x, batch.x_lengths, noise_scale=0.0)
        for i in range(3):
            n, f = int(batch.x_lengths[i]), int(y_mask[i].sum())
            x_i = batch.x[i : i + 1, :n]
            enc_i = model.encoder(x_i, batch.x_lengths[i : i + 1])
            torch.testing.assert_close(enc.mu_x[i : i + 1, :, :n], enc_i.mu_x, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(enc.h[i : i + 1, :, :n], enc_i.h, atol=1e-5, rtol=1e-5)
            z_i, logdet_i = model.decoder(batch.y[i : i + 1, :, :f], torch.ones(1, 1, f))
            torch.testing.assert_close(z[i : i + 1, :, :f], z_i, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(logdet[i], logdet_i[0], atol=1e-4, rtol=1e-5)
            gen_i = model.infer(x_i, batch.x_lengths[i : i + 1], noise_scale=0.0)
            f_gen = int(gen_i.y_lengths[0])
            assert int(gen.y_lengths[i]) == f_gen
            torch.testing.assert_close(gen.y[i : i + 1, :, :f_gen], gen_i.y, atol=1e-5, rtol=1e-5)


def test_duration_loss_trains_only_the_duration_predictor(
    tiny_config: ModelConfig, batch: Batch
) -> None:
    model = _model(tiny_config).train()
    out = model.forward_train(batch.x, batch.x_lengths, batch.y, batch.y_lengths)
    duration_loss(out.logw, out.logw_mas, batch.x_lengths).backward()
    for name, p in model.named_parameters():
        touched = p.grad is not None and bool(torch.any(p.grad != 0))
        assert touched == name.startswith("duration."), name


def test_mle_loss_reaches_encoder_and_decoder(tiny_config: ModelConfig, batch: Batch) -> None:
    model = _model(tiny_config).train()
    out = model.forward_train(batch.x, batch.x_lengths, batch.y, batch.y_lengths)
    mle_loss(out.z, out.mu_y, out.logs_y, out.logdet, out.y_mask).backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert grads["encoder.emb.weight"] is not None and grads["decoder.flows.0.logs"] is not None
    assert all(g is None for n, g in grads.items() if n.startswith("duration."))


def test_mean_and_log_std_prior(tiny_config: ModelConfig, batch: Batch) -> None:
    cfg = dataclasses.replace(
        tiny_config, encoder=dataclasses.replace(tiny_config.encoder, mean_only=False)
    )
    model = _model(cfg)
    out = model.forward_train(batch.x, batch.x_lengths, batch.y, batch.y_lengths)
    assert torch.any(out.logs_x != 0) and torch.all(out.logs_x * (1 - out.x_mask) == 0)
    torch.testing.assert_close(out.logs_y, torch.matmul(out.logs_x, out.attn))
    model.infer(batch.x, batch.x_lengths)


def test_multi_speaker_model(tiny_config: ModelConfig, batch: Batch) -> None:
    cfg = dataclasses.replace(tiny_config, n_speakers=4, gin_channels=6)
    model = _model(cfg)
    g = model.speaker_embedding(torch.tensor([0, 3, 1]))
    assert g.shape == (3, 6, 1)
    torch.testing.assert_close(g.norm(dim=1), torch.ones(3, 1))
    out = model.forward_train(batch.x, batch.x_lengths, batch.y, batch.y_lengths, g=g)
    assert out.z.shape == (3, cfg.n_mels, 14)
    other = model.speaker_embedding(torch.tensor([2, 2, 2]))
    a = model.infer(batch.x, batch.x_lengths, g=g, noise_scale=0.0)
    b = model.infer(batch.x, batch.x_lengths, g=other, noise_scale=0.0)
    assert not torch.equal(a.logw, b.logw)  # the duration predictor sees the speaker
    with pytest.raises(ConfigError, match="speaker"):
        model.infer(batch.x, batch.x_lengths)
    with pytest.raises(ConfigError, match="shape"):
        model.infer(batch.x, batch.x_lengths, g=g[:, :3])
    with pytest.raises(ConfigError, match="no speaker table"):
        _model(tiny_config).speaker_embedding(torch.tensor([0]))


def test_prepare_for_inference_keeps_outputs(tiny_config: ModelConfig, batch: Batch) -> None:
    model = _model(tiny_config)
    before = model.infer(batch.x, batch.x_lengths, noise_scale=0.0).y
    model.prepare_for_inference()
    assert not any("parametrizations" in k for k in model.state_dict())
    torch.testing.assert_close(model.infer(batch.x, batch.x_lengths, noise_scale=0.0).y, before)


def test_tiny_durations_still_give_frames() -> None:
    """A duration sum of 1 floors to 0 frames officially; here it becomes n_sqz frames."""
    cfg = ModelConfig.tiny()
    model = _model(cfg)
    with torch.no_grad():
        model.duration.proj.bias.fill_(-20.0)  # exp(logw) ~ 0 -> ceil gives 1 frame per token
        model.duration.proj.weight.zero_()
    out = model.infer(torch.tensor([[3]]), torch.tensor([1]))
    assert out.y_lengths.tolist() == [cfg.decoder.n_sqz] and out.y.shape[-1] == cfg.decoder.n_sqz


def test_block_length_and_no_window_configs_run(tiny_config: ModelConfig, batch: Batch) -> None:
    enc = EncoderConfig(
        hidden_channels=32, filter_channels=64, n_layers=2, p_dropout=0.0, window_size=None,
        block_length=2, prenet=False,
    )  # fmt: skip
    model = _model(dataclasses.replace(tiny_config, encoder=enc))
    assert model.encoder.prenet is None
    out = model.infer(batch.x, batch.x_lengths)
    assert torch.isfinite(out.y).all()


def test_mixed_precision_training_pass_aligns_in_float32(
    tiny_config: ModelConfig, batch: Batch
) -> None:
    model = _model(tiny_config).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.forward_train(batch.x, batch.x_lengths, batch.y, batch.y_lengths)
        loss = mle_loss(out.z, out.mu_y, out.logs_y, out.logdet, out.y_mask)
        loss = loss + duration_loss(out.logw, out.logw_mas, batch.x_lengths)
    assert torch.isfinite(loss)
    assert torch.equal(out.attn.sum(1), out.y_mask.squeeze(1).to(out.attn.dtype))
    loss.backward()
