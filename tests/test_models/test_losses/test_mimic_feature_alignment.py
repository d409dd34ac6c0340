# Copyright (c) mmskd contributors. All rights reserved.
"""MIMIC is mmrazor's 1x1 ``ConvModuleConnector`` plus ``L2Loss``.

The thesis's MIMIC (line 978 of ``shared/papers/003_*.txt``: "align the
features of each pixel between T and S through a 1x1 convolution layer to
match the dimension", after Li et al., CVPR 2017) is a linear 1x1
convolution r of the student feature and the squared L2 distance to the
teacher's at every pixel. mmrazor has both parts; these tests pin that the
combination used for the "+PI+MIMIC" row computes

    w / (N * C_T * H * W) * sum_{n, i} ||t_{n,i} - r(s_{n,i})||²

and which of the two modules' defaults must be changed to get it.
"""
import pytest
import torch

import mmskd  # noqa: F401  (registers modules, installs the mmrazor shim)
from mmskd.registry import MODELS


def build_connector(in_channel, out_channel, **kwargs):
    cfg = dict(
        type='mmrazor.ConvModuleConnector',
        in_channel=in_channel,
        out_channel=out_channel,
        kernel_size=1,
        norm_cfg=None,
        act_cfg=None,
        _scope_='mmskd')
    cfg.update(kwargs)
    return MODELS.build(cfg)


def build_mimic_loss(loss_weight=1.0):
    return MODELS.build(
        dict(
            type='L2Loss',
            normalize=False,
            div_element=True,
            loss_weight=loss_weight,
            _scope_='mmskd'))


def set_linear_map(connector, weight, bias):
    conv = connector.conv_module.conv
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(weight)[:, :, None, None])
        conv.bias.copy_(torch.tensor(bias))


def reference_mimic(feats_S, feats_T, weight, bias):
    """Apply r = W v + b pixel by pixel and average the squared errors."""
    weight, bias = torch.tensor(weight).double(), torch.tensor(bias).double()
    num, _, height, width = feats_S.shape
    total = 0.0
    for n in range(num):
        for y in range(height):
            for x in range(width):
                mapped = weight @ feats_S[n, :, y, x].double() + bias
                total += float(((feats_T[n, :, y, x] - mapped)**2).sum())
    return total / feats_T.numel()


def test_hand_computed_single_pixel():
    connector = build_connector(3, 2)
    set_linear_map(connector, [[1., 0., 0.], [0., 1., 1.]], [0., 1.])
    # r(1, 2, 3) = (1, 2 + 3 + 1) = (1, 6); teacher (0, 4): errors (1, 2),
    # squared sum 5 over C_T = 2 elements.
    feats_S = torch.tensor([1., 2., 3.]).view(1, 3, 1, 1)
    feats_T = torch.tensor([0., 4.]).view(1, 2, 1, 1)
    value = build_mimic_loss(loss_weight=2.0)(connector(feats_S), feats_T)
    assert value.item() == pytest.approx(2.0 * 5 / 2)


def test_matches_pixelwise_loops():
    torch.manual_seed(0)
    weight = torch.randn(5, 3).tolist()
    bias = torch.randn(5).tolist()
    connector = build_connector(3, 5)
    set_linear_map(connector, weight, bias)
    feats_S, feats_T = torch.randn(2, 3, 4, 3), torch.randn(2, 5, 4, 3)
    value = build_mimic_loss()(connector(feats_S), feats_T)
    assert value.item() == pytest.approx(
        reference_mimic(feats_S, feats_T, weight, bias), rel=1e-5)


def test_gradient_reaches_student_and_connector():
    connector = build_connector(3, 4)
    feats_S = torch.randn(2, 3, 4, 4, requires_grad=True)
    with torch.no_grad():  # how StructuredDistill runs the teacher
        feats_T = torch.randn(2, 4, 4, 4)
    build_mimic_loss()(connector(feats_S), feats_T).backward()
    assert feats_S.grad.abs().sum() > 0
    assert connector.conv_module.conv.weight.grad.abs().sum() > 0


def test_connector_defaults_are_not_a_linear_map():
    # ConvModuleConnector defaults to a ReLU after the conv, which would
    # clip the regression of signed features: act_cfg=None is needed.
    default = MODELS.build(
        dict(_scope_='mmskd', type='ConvModuleConnector', in_channel=3,
             out_channel=4))
    assert default.conv_module.with_activation
    linear = build_connector(3, 4)
    assert not linear.conv_module.with_activation
    assert not linear.conv_module.with_norm
    assert linear.conv_module.conv.bias is not None


def test_l2_loss_default_normalisation_is_not_mimic():
    # L2Loss(normalize=True), its default, rescales each sample's whole
    # feature to unit norm, so the teacher's scale would not be learnt.
    torch.manual_seed(1)
    feats_S, feats_T = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    normalised = MODELS.build(dict(type='L2Loss', _scope_='mmskd'))
    mimic = build_mimic_loss()
    assert normalised(feats_S, 10 * feats_T).item() == pytest.approx(
        normalised(feats_S, feats_T).item(), rel=1e-5)
    assert mimic(feats_S, 10 * feats_T).item() != pytest.approx(
        mimic(feats_S, feats_T).item(), rel=1e-2)


def test_channel_mismatch_without_connector_raises():
    with pytest.raises(RuntimeError, match='size of tensor'):
        build_mimic_loss()(torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4))
