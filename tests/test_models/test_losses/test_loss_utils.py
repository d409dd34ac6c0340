# Copyright (c) mmskd contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401  (registers modules, installs the mmrazor shim)
from mmskd.models.losses import (ChannelWiseDivergence, PairWiseAffinityLoss,
                                 PixelWiseDivergence)
from mmskd.models.losses.utils import (align_spatial, check_pair, prepare_pair,
                                       validate_tau)
from mmskd.registry import MODELS


def test_align_spatial_same_size_is_identity():
    preds_S = torch.randn(2, 3, 4, 5)
    preds_T = torch.randn(2, 7, 4, 5)
    assert align_spatial(preds_S, preds_T, resize_student=False) is preds_S
    assert align_spatial(preds_S, preds_T, resize_student=True) is preds_S


def test_align_spatial_mismatch_error_names_both_shapes():
    preds_S = torch.randn(2, 3, 4, 5)
    preds_T = torch.randn(2, 3, 8, 10)
    with pytest.raises(ValueError) as err:
        align_spatial(preds_S, preds_T, resize_student=False, loss_name='X')
    message = str(err.value)
    assert '(2, 3, 4, 5)' in message
    assert '(2, 3, 8, 10)' in message
    assert 'resize_student=True' in message
    assert message.startswith('X')


def test_align_spatial_resize_is_bilinear_without_corners():
    preds_S = torch.randn(2, 3, 4, 5)
    preds_T = torch.randn(2, 6, 9, 7)
    resized = align_spatial(preds_S, preds_T, resize_student=True)
    expected = F.interpolate(
        preds_S, size=(9, 7), mode='bilinear', align_corners=False)
    assert resized.shape == (2, 3, 9, 7)
    assert torch.equal(resized, expected)


@pytest.mark.parametrize('shape_S, shape_T', [((2, 3, 4, 4), (3, 3, 4, 4)),
                                              ((3, 4, 4), (3, 3, 4, 4)),
                                              ((2, 3, 4, 4), (2, 3, 4, 4, 1))])
def test_check_pair_rejects_bad_layouts(shape_S, shape_T):
    # Either fix: a 4-D map from the recorders, or the same images.
    with pytest.raises(ValueError, match=r'\(.*\).*(recorders|same images)'):
        check_pair(torch.zeros(shape_S), torch.zeros(shape_T))


def test_batch_mismatch_is_rejected_even_when_resizing():
    with pytest.raises(ValueError, match='batch size.*same images'):
        align_spatial(
            torch.zeros(2, 3, 4, 4),
            torch.zeros(1, 3, 8, 8),
            resize_student=True)


@pytest.mark.parametrize('tau', [0, -1.0])
def test_validate_tau(tau):
    with pytest.raises(ValueError, match='tau'):
        validate_tau(tau)
    assert validate_tau(3) == 3.0


def test_prepare_pair_detaches_teacher_and_casts_to_float32():
    preds_S = torch.randn(1, 2, 3, 3, dtype=torch.bfloat16, requires_grad=True)
    preds_T = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    out_S, out_T = prepare_pair(preds_S, preds_T, resize_student=False)
    assert out_S.dtype == out_T.dtype == torch.float32
    assert out_S.requires_grad
    assert not out_T.requires_grad


@pytest.mark.parametrize('loss, channels_T', [
    (PixelWiseDivergence(tau=2.0), 4),
    (ChannelWiseDivergence(tau=3.0), 4),
    (PairWiseAffinityLoss(node_size=2), 6),
    (PairWiseAffinityLoss(node_size=2, connection_range=1, pool='max'), 6),
])
def test_losses_are_float32_under_autocast(loss, channels_T):
    torch.manual_seed(0)
    preds_S = torch.randn(2, 4, 9, 7)
    preds_T = torch.randn(2, channels_T, 9, 7)
    reference = loss(preds_S, preds_T)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        autocast_value = loss(preds_S, preds_T)
        half_inputs_value = loss(preds_S.bfloat16(), preds_T.bfloat16())
    assert autocast_value.dtype == torch.float32
    assert half_inputs_value.dtype == torch.float32
    assert torch.allclose(autocast_value, reference, rtol=1e-6, atol=1e-7)
    # bf16 inputs lose precision before the loss sees them, not inside it.
    assert torch.allclose(half_inputs_value, reference, rtol=5e-2)


@pytest.mark.parametrize('cfg, cls', [
    (dict(type='PixelWiseDivergence', tau=1.0,
          loss_weight=10.0), PixelWiseDivergence),
    (dict(type='PairWiseAffinityLoss', node_size=2,
          pool='max'), PairWiseAffinityLoss),
    (dict(
        type='mmskd.PairWiseAffinityLoss',
        node_size=(2, 3),
        connection_range=1), PairWiseAffinityLoss),
    (dict(type='ChannelWiseDivergence', tau=3.0,
          loss_weight=3.0), ChannelWiseDivergence),
])
def test_registry_builds_losses(cfg, cls):
    # Configs build mmskd modules in the mmskd scope, whatever the default.
    loss = MODELS.build(dict(cfg, _scope_='mmskd'))
    assert type(loss) is cls
    value = loss(torch.randn(2, 4, 6, 6), torch.randn(2, 4, 6, 6))
    assert value.dim() == 0 and torch.isfinite(value)
