# Copyright (c) mmskd contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.models.losses import PixelWiseDivergence


def reference_pixel_kl(preds_S, preds_T, tau):
    """KL(teacher || student) per pixel, summed over classes, mean over N*H*W.

    Written with explicit probabilities, unlike the loss (log-space kl_div).
    """
    prob_T = torch.softmax(preds_T / tau, dim=1)
    prob_S = torch.softmax(preds_S / tau, dim=1)
    kl = (prob_T * (prob_T.log() - prob_S.log())).sum(dim=1)
    return tau**2 * kl.mean()


@pytest.mark.parametrize('tau', [1.0, 2.0])
def test_uniform_teacher_against_peaked_student_closed_form(tau):
    num_classes, peak = 5, 4.0
    preds_T = torch.zeros(2, num_classes, 3, 4)  # uniform distribution
    preds_S = torch.zeros(2, num_classes, 3, 4)
    preds_S[:, 0] = peak
    # KL(u || p) with p = softmax(peak / tau at class 0, 0 elsewhere):
    # -log C - (1/C) sum_c log p_c = log Z - log C - (peak / tau) / C.
    scaled = peak / tau
    partition = math.exp(scaled) + num_classes - 1
    kl = math.log(partition) - math.log(num_classes) - scaled / num_classes
    loss = PixelWiseDivergence(tau=tau, loss_weight=3.0)(preds_S, preds_T)
    assert loss.item() == pytest.approx(3.0 * tau**2 * kl, rel=1e-5)


def test_identical_and_shifted_logits_give_zero():
    preds = torch.randn(2, 4, 5, 3)
    loss = PixelWiseDivergence(tau=2.0)
    assert loss(preds, preds).item() == pytest.approx(0.0, abs=1e-6)
    # Softmax is invariant to a per-pixel shift of all logits.
    shifted = preds + torch.randn(2, 1, 5, 3)
    assert loss(shifted, preds).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize('tau', [0.5, 1.0, 3.0])
def test_matches_reference_on_random_logits(tau):
    torch.manual_seed(1)
    preds_S = torch.randn(3, 6, 7, 5) * 3
    preds_T = torch.randn(3, 6, 7, 5) * 3
    loss = PixelWiseDivergence(tau=tau, loss_weight=0.7)(preds_S, preds_T)
    expected = 0.7 * reference_pixel_kl(preds_S, preds_T, tau)
    assert torch.allclose(loss, expected, rtol=1e-5, atol=1e-7)


def test_kl_direction_is_teacher_to_student():
    torch.manual_seed(2)
    preds_S = torch.randn(1, 4, 3, 3) * 2
    preds_T = torch.randn(1, 4, 3, 3) * 2
    loss = PixelWiseDivergence()(preds_S, preds_T)
    swapped = reference_pixel_kl(preds_T, preds_S, 1.0)
    assert torch.allclose(loss, reference_pixel_kl(preds_S, preds_T, 1.0))
    assert not torch.allclose(loss, swapped)


def test_gradient_equals_soft_target_cross_entropy():
    torch.manual_seed(3)
    preds_T = torch.randn(2, 5, 4, 6)
    preds_S = torch.randn(2, 5, 4, 6, requires_grad=True)
    PixelWiseDivergence()(preds_S, preds_T).backward()
    grad_kl = preds_S.grad.clone()

    preds_S.grad = None
    num_pixels = 2 * 4 * 6
    soft_ce = -(torch.softmax(preds_T, dim=1) *
                F.log_softmax(preds_S, dim=1)).sum() / num_pixels
    soft_ce.backward()
    assert torch.allclose(grad_kl, preds_S.grad, atol=1e-7)


def test_gradient_reaches_student_only():
    preds_S = torch.randn(2, 4, 5, 5, requires_grad=True)
    preds_T = torch.randn(2, 4, 5, 5, requires_grad=True)
    PixelWiseDivergence(tau=2.0)(preds_S, preds_T).backward()
    assert preds_S.grad is not None and preds_S.grad.abs().sum() > 0
    assert preds_T.grad is None


def test_resize_student_equals_manual_interpolation():
    torch.manual_seed(4)
    preds_S = torch.randn(2, 4, 4, 3)
    preds_T = torch.randn(2, 4, 8, 7)
    loss = PixelWiseDivergence(tau=2.0, resize_student=True)
    manual = F.interpolate(
        preds_S, size=(8, 7), mode='bilinear', align_corners=False)
    assert torch.allclose(
        loss(preds_S, preds_T),
        PixelWiseDivergence(tau=2.0)(manual, preds_T))


def test_spatial_mismatch_raises_with_both_shapes():
    with pytest.raises(ValueError) as err:
        PixelWiseDivergence()(torch.randn(2, 4, 4, 3), torch.randn(2, 4, 8, 7))
    assert '(2, 4, 4, 3)' in str(err.value)
    assert '(2, 4, 8, 7)' in str(err.value)
    assert 'resize_student=True' in str(err.value)


def test_class_mismatch_raises():
    with pytest.raises(ValueError, match='student has 3 classes'):
        PixelWiseDivergence()(torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4))


def test_invalid_tau_raises():
    with pytest.raises(ValueError, match='tau'):
        PixelWiseDivergence(tau=0.0)
