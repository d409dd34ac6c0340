# Copyright (c) mmskd contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401  (must precede mmrazor: installs its import shim)
from mmskd.models.losses import ChannelWiseDivergence


def mmrazor_cwd(**kwargs):
    from mmrazor.models.losses import ChannelWiseDivergence as RazorCWD
    return RazorCWD(**kwargs)


@pytest.mark.parametrize('tau', [1.0, 2.0, 3.0, 4.5])
@pytest.mark.parametrize('shape', [(2, 8, 9, 7), (3, 5, 16, 16)])
def test_equals_mmrazor(tau, shape):
    torch.manual_seed(0)
    preds_S = torch.randn(shape) * 3
    preds_T = torch.randn(shape) * 3
    ours = ChannelWiseDivergence(tau=tau, loss_weight=3.0)(preds_S, preds_T)
    theirs = mmrazor_cwd(tau=tau, loss_weight=3.0)(preds_S, preds_T)
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('tau', [1.0, 3.0])
def test_constant_teacher_against_peaked_student_closed_form(tau):
    height, width, peak = 3, 5, 6.0
    preds_T = torch.full((2, 4, height, width), 7.0)  # uniform over space
    preds_S = torch.zeros(2, 4, height, width)
    preds_S[:, :, 1, 2] = peak
    # Every (n, c) has KL(u || p) = log Z - log(HW) - (peak / tau) / HW,
    # so the mean over N * C is that same value.
    num_locations = height * width
    scaled = peak / tau
    partition = math.exp(scaled) + num_locations - 1
    kl = (
        math.log(partition) - math.log(num_locations) - scaled / num_locations)
    loss = ChannelWiseDivergence(tau=tau, loss_weight=2.0)(preds_S, preds_T)
    assert loss.item() == pytest.approx(2.0 * tau**2 * kl, rel=1e-5)


def test_identical_maps_give_zero():
    preds = torch.randn(2, 3, 6, 6)
    loss = ChannelWiseDivergence(tau=3.0)(preds, preds)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_gradient_reaches_student_only():
    preds_S = torch.randn(2, 4, 5, 5, requires_grad=True)
    preds_T = torch.randn(2, 4, 5, 5, requires_grad=True)
    ChannelWiseDivergence(tau=3.0)(preds_S, preds_T).backward()
    assert preds_S.grad is not None and preds_S.grad.abs().sum() > 0
    assert preds_T.grad is None


def test_channel_mismatch_explains_the_connector():
    with pytest.raises(ValueError) as err:
        ChannelWiseDivergence()(torch.randn(2, 128, 4, 4),
                                torch.randn(2, 512, 4, 4))
    message = str(err.value)
    assert 'student has 128 channels' in message
    assert 'teacher 512' in message
    assert "type='mmrazor.ConvModuleConnector'" in message
    assert 'in_channel=128, out_channel=512' in message
    assert 'loss_forward_mappings' in message
    assert "connector='s_neck'" in message


def test_resize_student_equals_manual_interpolation():
    torch.manual_seed(1)
    preds_S = torch.randn(2, 4, 5, 5)
    preds_T = torch.randn(2, 4, 9, 11)
    loss = ChannelWiseDivergence(tau=3.0, resize_student=True)
    manual = F.interpolate(
        preds_S, size=(9, 11), mode='bilinear', align_corners=False)
    assert torch.allclose(
        loss(preds_S, preds_T),
        ChannelWiseDivergence(tau=3.0)(manual, preds_T))


def test_spatial_mismatch_raises_with_both_shapes():
    with pytest.raises(ValueError) as err:
        ChannelWiseDivergence()(torch.randn(2, 4, 5, 5),
                                torch.randn(2, 4, 9, 11))
    assert '(2, 4, 5, 5)' in str(err.value)
    assert '(2, 4, 9, 11)' in str(err.value)
