# Copyright (c) mmskd contributors. All rights reserved.
"""The knowledge translator (auto-encoder), its frozen encoder and the
student's adapters."""
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import mmskd  # noqa: F401
from mmskd.models.adapters import (ConvAdapter, KnowledgeTranslator,
                                   TranslatorEncoder)


def conv_layers(module: nn.Module, kind=nn.Conv2d) -> list:
    return [m for m in module.modules() if isinstance(m, kind)]


def test_six_layers_of_the_appendix():
    translator = KnowledgeTranslator(channels=12)
    convs = conv_layers(translator.encoder)
    deconvs = conv_layers(translator.decoder, nn.ConvTranspose2d)
    assert [c.stride for c in convs] == [(2, 2), (1, 1), (1, 1)]
    assert [d.stride for d in deconvs] == [(1, 1), (1, 1), (2, 2)]
    for layer in convs + deconvs:
        assert layer.in_channels == layer.out_channels == 12
        assert layer.kernel_size == (3, 3) and layer.padding == (1, 1)
    assert len(conv_layers(translator, nn.BatchNorm2d)) == 6
    assert len(conv_layers(translator, nn.ReLU)) == 6


@pytest.mark.parametrize('size', [(8, 8), (9, 11), (16, 32), (1, 1)])
def test_code_has_half_the_size_and_reconstruction_the_input_size(size):
    translator = KnowledgeTranslator(channels=4)
    out = translator(torch.rand(2, 4, *size))
    height, width = size
    assert out['latent'].shape == (2, 4, (height + 1) // 2, (width + 1) // 2)
    assert out['reconstruction'].shape == (2, 4, height, width)


def constant_translator(code: float, output: float) -> KnowledgeTranslator:
    """All weights 0, BN in eval with unit statistics: every layer outputs
    ReLU of its BN bias, so the code and the output are constants."""
    translator = KnowledgeTranslator(channels=3, sparsity_weight=0.5)
    for param in translator.parameters():
        nn.init.zeros_(param)
    norms = conv_layers(translator, nn.BatchNorm2d)
    nn.init.constant_(norms[2].bias, code)  # the last encoder layer
    nn.init.constant_(norms[5].bias, output)  # the last decoder layer
    return translator.eval()


def test_loss_by_hand():
    translator = constant_translator(code=2.0, output=1.0)
    feats = torch.arange(
        2 * 3 * 4 * 6, dtype=torch.float32).view(2, 3, 4, 6) / 100
    losses = translator.loss(feats)
    assert losses['loss_rec'].item() == pytest.approx(
        ((feats - 1.0)**2).mean().item(), rel=1e-6)
    # Each sample's code: 3 x 2 x 3 elements of 2.0; L1 = 36, times 0.5.
    assert losses['loss_sparsity'].item() == pytest.approx(18.0, rel=1e-6)


def test_loss_matches_forward_and_reaches_the_translator_only():
    torch.manual_seed(0)
    translator = KnowledgeTranslator(channels=4, sparsity_weight=1e-3)
    feats = torch.rand(3, 4, 6, 6, requires_grad=True)
    losses = translator.loss(feats)
    out = translator(feats)
    per_sample_l1 = out['latent'].abs().sum(dim=(1, 2, 3))
    assert torch.allclose(losses['loss_rec'],
                          F.mse_loss(out['reconstruction'], feats.detach()))
    assert torch.allclose(losses['loss_sparsity'], 1e-3 * per_sample_l1.mean())
    sum(losses.values()).backward()
    assert feats.grad is None
    assert all(p.grad is not None for p in translator.parameters())


def reference_forward(translator: KnowledgeTranslator, feats: torch.Tensor):
    """The appendix's auto-encoder written with torch.nn.functional on the
    translator's weights (BN in eval): 3x3 convolutions with padding 1 and
    strides 2, 1, 1, then 3x3 transposed convolutions with strides 1, 1, 2,
    the last padded on its output to give back the input's size."""
    convs = conv_layers(translator.encoder)
    deconvs = conv_layers(translator.decoder, nn.ConvTranspose2d)
    norms = conv_layers(translator, nn.BatchNorm2d)

    def norm_relu(x, norm):
        return F.relu(
            F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight,
                         norm.bias, False, 0.0, norm.eps))

    x = feats
    for conv, norm, stride in zip(convs, norms[:3], (2, 1, 1)):
        x = norm_relu(F.conv2d(x, conv.weight, conv.bias, stride, 1), norm)
    code = x
    for deconv, norm, stride in zip(deconvs, norms[3:], (1, 1, 2)):
        # Stride 2 maps h to 2h - 1 + output_padding.
        padding = [
            full - (2 * half - 1) if stride == 2 else 0
            for full, half in zip(feats.shape[-2:], x.shape[-2:])
        ]
        x = norm_relu(
            F.conv_transpose2d(x, deconv.weight, deconv.bias, stride, 1,
                               padding), norm)
    return code, x


@pytest.mark.parametrize('size', [(8, 12), (9, 11)])
def test_forward_and_loss_match_an_independent_auto_encoder(size):
    torch.manual_seed(4)
    translator = KnowledgeTranslator(channels=5, sparsity_weight=1e-2)
    for norm in conv_layers(translator, nn.BatchNorm2d):
        nn.init.uniform_(norm.weight, 0.5, 1.5)
        nn.init.uniform_(norm.bias, -0.2, 0.2)
        norm.running_mean.uniform_(-0.1, 0.1)
        norm.running_var.uniform_(0.5, 2.0)
    translator.eval()
    feats = torch.randn(2, 5, *size)
    code, reconstruction = reference_forward(translator, feats)
    out = translator(feats)
    assert torch.allclose(out['latent'], code, atol=1e-6)
    assert torch.allclose(out['reconstruction'], reconstruction, atol=1e-6)
    losses = translator.loss(feats)
    assert losses['loss_rec'].item() == pytest.approx(
        ((reconstruction - feats)**2).mean().item(), rel=1e-5)
    assert losses['loss_sparsity'].item() == pytest.approx(
        1e-2 * code.abs().sum().item() / 2, rel=1e-5)


def test_channel_mismatch_names_the_fix():
    with pytest.raises(ValueError, match='translator.channels'):
        KnowledgeTranslator(channels=4).loss(torch.rand(1, 5, 4, 4))


def test_teacher_identity_travels_with_the_state_dict():
    translator = KnowledgeTranslator(channels=2)
    translator.teacher_identity = dict(feature_source='x', channels=2)
    state = translator.state_dict()
    # A tensor, so that mmengine's broadcast of the state dict takes it.
    assert state['_extra_state'].dtype == torch.uint8
    assert json.loads(bytes(state['_extra_state'].tolist())) == dict(
        feature_source='x', channels=2)
    restored = KnowledgeTranslator(channels=2)
    restored.load_state_dict(state)
    assert restored.teacher_identity == translator.teacher_identity


def test_identity_saved_as_a_dict_before_still_loads():
    translator = KnowledgeTranslator(channels=2)
    state = dict(translator.state_dict(),
                 _extra_state=dict(feature_source='x', channels=2))
    translator.load_state_dict(state)
    assert translator.teacher_identity == dict(feature_source='x', channels=2)


def test_frozen_encoder_has_the_translators_encoder_names():
    translator = KnowledgeTranslator(channels=4)
    encoder = TranslatorEncoder(in_channel=4, out_channel=4)
    phase_one = {
        key[len('encoder.'):]: value
        for key, value in translator.state_dict().items()
        if key.startswith('encoder.')
    }
    assert set(phase_one) == set(encoder.encoder.state_dict())
    encoder.encoder.load_state_dict(phase_one)
    feats = torch.rand(2, 4, 6, 6)
    assert torch.equal(encoder(feats), translator.eval()(feats)['latent'])


def test_frozen_encoder_stays_frozen_in_eval():
    encoder = TranslatorEncoder(in_channel=4, out_channel=4)
    encoder.train()
    assert not any(m.training for m in encoder.modules())
    assert not any(p.requires_grad for p in encoder.parameters())
    code = encoder(torch.rand(2, 4, 6, 6, requires_grad=True))
    assert not code.requires_grad


def test_frozen_encoder_encodes_a_tensor_once():
    encoder = TranslatorEncoder(in_channel=4, out_channel=4)
    calls = []
    encoder.encoder.register_forward_hook(lambda *args: calls.append(1))
    feats = torch.rand(2, 4, 6, 6)
    first, second = encoder(feats), encoder(feats)
    assert first is second and len(calls) == 1
    other = feats.clone()
    assert torch.equal(encoder(other), first) and len(calls) == 2


def test_frozen_encoder_refuses_a_width_change():
    with pytest.raises(ValueError, match='KnowledgeAdaptationDistill'):
        TranslatorEncoder(in_channel=4, out_channel=8)


def test_adapter_is_three_3x3_conv_bn_relu_to_the_teachers_width():
    adapter = ConvAdapter(in_channel=5, out_channel=12)
    convs = conv_layers(adapter)
    assert [(c.in_channels, c.out_channels) for c in convs] == [(5, 12),
                                                                (12, 12),
                                                                (12, 12)]
    assert all(
        c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1)
        for c in convs)
    assert len(conv_layers(adapter, nn.BatchNorm2d)) == 3
    assert adapter(torch.rand(2, 5, 7, 9)).shape == (2, 12, 7, 9)
    assert len(conv_layers(ConvAdapter(5, 12, num_convs=1))) == 1
    with pytest.raises(ValueError, match='num_convs'):
        ConvAdapter(5, 12, num_convs=0)
