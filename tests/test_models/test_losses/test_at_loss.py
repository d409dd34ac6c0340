# Copyright (c) mmskd contributors. All rights reserved.
"""mmrazor's ``ATLoss`` is the attention transfer of the Table 3.7 row.

Zagoruyko & Komodakis (ICLR 2017): the attention map of a feature A is
F(A) = sum_c |A_c|^p with p = 2, vectorised per sample and divided by its L2
norm; the student's normalised map is pulled to the teacher's by L2 (the
thesis, Table 4.1 and line 1370: "summation of all channels on each spatial
location ... L_2 is employed"). mmrazor averages over channels instead of
summing, which the normalisation cancels, and takes the mean squared
difference over N * H * W, as the authors' cifar.py does (weighted there by
beta). These tests pin that value on our torch, so the "+PI+AT" row can use
mmrazor's loss unchanged.
"""
import math

import pytest
import torch

import mmskd  # noqa: F401  (registers modules, installs the mmrazor shim)
from mmskd.registry import MODELS


def build_at_loss(loss_weight=1.0):
    return MODELS.build(
        dict(type='ATLoss', loss_weight=loss_weight, _scope_='mmskd'))


def reference_attention(feats):
    """sum_c A_c² at each position, by loops, divided by its L2 norm."""
    num, channels, height, width = feats.shape
    maps = torch.zeros(num, height * width, dtype=torch.float64)
    for n in range(num):
        for pos in range(height * width):
            y, x = divmod(pos, width)
            maps[n, pos] = sum(
                float(feats[n, c, y, x])**2 for c in range(channels))
        maps[n] /= math.sqrt(sum(float(v)**2 for v in maps[n]))
    return maps


def test_the_mmskd_scope_finds_mmrazors_loss():
    loss = build_at_loss()
    assert type(loss).__module__ == 'mmrazor.models.losses.at_loss'


def test_hand_computed_two_positions():
    # Student channels (1, 2) and (1, 0) over two positions: squares sum to
    # (2, 4), normalised (1, 2) / sqrt 5. Teacher (3, 0): normalised (1, 0).
    # Mean of squared differences: ((1 - 1/sqrt 5)² + 4/5) / 2
    # = 1 - 1/sqrt 5.
    feats_S = torch.tensor([[[[1., 2.]], [[1., 0.]]]])
    feats_T = torch.tensor([[[[3., 0.]]]])
    value = build_at_loss(loss_weight=4.0)(feats_S, feats_T)
    assert value.item() == pytest.approx(4.0 * (1 - 1 / math.sqrt(5)))


def test_matches_the_papers_attention_maps():
    torch.manual_seed(0)
    # Different channel counts: AT compares single-channel maps.
    feats_S = torch.randn(2, 3, 4, 5)
    feats_T = torch.randn(2, 7, 4, 5)
    diff = reference_attention(feats_S) - reference_attention(feats_T)
    expected = (diff**2).sum() / diff.numel()
    value = build_at_loss(loss_weight=0.5)(feats_S, feats_T)
    assert value.item() == pytest.approx(0.5 * expected.item(), rel=1e-5)


def test_gradient_reaches_the_student():
    feats_S = torch.randn(2, 3, 4, 4, requires_grad=True)
    with torch.no_grad():  # how StructuredDistill runs the teacher
        feats_T = torch.randn(2, 5, 4, 4)
    build_at_loss()(feats_S, feats_T).backward()
    assert feats_S.grad.abs().sum() > 0


def test_it_does_not_detach_the_teacher():
    # Unlike mmskd's losses it relies on the teacher running under no_grad
    # (StructuredDistill does); a teacher map with a graph gets gradients.
    feats_S = torch.randn(1, 3, 4, 4, requires_grad=True)
    feats_T = torch.randn(1, 3, 4, 4, requires_grad=True)
    build_at_loss()(feats_S, feats_T).backward()
    assert feats_T.grad is not None


def test_spatial_mismatch_raises():
    with pytest.raises(RuntimeError, match='size of tensor'):
        build_at_loss()(torch.randn(2, 3, 4, 4), torch.randn(2, 3, 8, 8))


def test_precision_follows_its_inputs():
    # It does not switch to float32: float32 maps stay float32 under
    # autocast (no op in it is autocast), bfloat16 maps (recorded from
    # autocast convolutions with --amp) give a bfloat16 loss.
    torch.manual_seed(1)
    feats_S = torch.randn(2, 8, 16, 16).relu()
    feats_T = torch.randn(2, 16, 16, 16).relu()
    loss = build_at_loss()
    reference = loss(feats_S.double(), feats_T.double())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        from_float = loss(feats_S, feats_T)
        from_bf16 = loss(feats_S.bfloat16(), feats_T.bfloat16())
    assert from_float.dtype == torch.float32
    assert from_bf16.dtype == torch.bfloat16
    assert from_float.item() == pytest.approx(reference.item(), rel=1e-5)
    assert from_bf16.item() == pytest.approx(reference.item(), rel=2e-2)
