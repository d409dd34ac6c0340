# Copyright (c) mmskd contributors. All rights reserved.
"""L_aff of knowledge adaptation, Eqs. (3)-(4): the rows of the m x m
cosine affinities over positions, compared without building them."""
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.benchmark import MemoryMeter
from mmskd.models.losses import AffinityDistillationLoss
from mmskd.models.losses.pair_wise_affinity_loss import global_affinity_loss
from mmskd.models.losses.unit_vectors import unit_vectors


def one_sample(*vectors):
    """A (1, C, 1, m) map with the given C-vectors as its m positions."""
    return torch.tensor(vectors, dtype=torch.float32).t()[None, :, None, :]


def explicit_loss(preds_S, preds_T, reduction='l2', scale=False):
    """Build both m x m affinity matrices and compare their rows."""
    nodes_S = F.normalize(preds_S.double().flatten(2), dim=1)
    nodes_T = F.normalize(preds_T.double().flatten(2), dim=1)
    aff_S = nodes_S.transpose(1, 2) @ nodes_S
    aff_T = nodes_T.transpose(1, 2) @ nodes_T
    if scale:
        num_positions = aff_S.shape[-1]
        aff_S, aff_T = aff_S / num_positions, aff_T / num_positions
    row_sq = (aff_T - aff_S).square().sum(dim=-1)
    rows = row_sq if reduction == 'squared' else row_sq.sqrt()
    return rows.mean()


def test_three_positions_by_hand():
    # Teacher: (1, 0), (0, 1) and the diagonal; student: all along (1, 0),
    # so A(S) is all ones. With d = 1 - 1/sqrt(2), the rows of A(T) - A(S)
    # are (0, -1, -d), (-1, 0, -d) and (-d, -d, 0). The vectors' lengths do
    # not matter (cosines).
    code = one_sample((2., 0.), (0., 3.), (5., 5.))
    adapted = one_sample((1., 0.), (4., 0.), (0.5, 0.))
    d = 1 - 1 / math.sqrt(2)
    l2 = (2 * math.sqrt(1 + d * d) + math.sqrt(2) * d) / 3
    squared = (2 * (1 + d * d) + 2 * d * d) / 3
    assert AffinityDistillationLoss()(adapted, code).item() == \
        pytest.approx(l2, rel=1e-6)
    assert AffinityDistillationLoss(
        reduction='squared', loss_weight=2)(adapted,
                                            code).item() == pytest.approx(
                                                2 * squared, rel=1e-6)
    assert AffinityDistillationLoss(scale_by_positions=True)(
        adapted, code).item() == pytest.approx(
            l2 / 3, rel=1e-6)


@pytest.mark.parametrize('reduction', ['l2', 'squared'])
@pytest.mark.parametrize('scale', [False, True])
def test_matches_explicit_mxm_reference(reduction, scale):
    torch.manual_seed(0)
    preds_S = torch.randn(3, 6, 5, 7)  # the channel counts may differ
    preds_T = torch.randn(3, 4, 5, 7)
    loss = AffinityDistillationLoss(
        reduction=reduction, scale_by_positions=scale)(preds_S, preds_T)
    assert loss.item() == pytest.approx(
        explicit_loss(preds_S, preds_T, reduction, scale).item(), rel=1e-6)


def test_gradient_matches_explicit_reference():
    torch.manual_seed(1)
    preds_T = torch.randn(2, 4, 3, 5)
    student = torch.randn(2, 6, 3, 5, dtype=torch.float64)
    reference = student.clone().requires_grad_()
    explicit_loss(reference, preds_T).backward()
    ours = student.float().requires_grad_()
    AffinityDistillationLoss()(ours, preds_T).backward()
    assert torch.allclose(ours.grad.double(), reference.grad, atol=1e-6)


def test_squared_reduction_is_m_times_the_pair_wise_mean():
    # The PA loss's Gram helper averages the squared differences over all
    # m^2 pairs; the squared row distances average over m rows.
    torch.manual_seed(2)
    preds_S, preds_T = torch.randn(2, 5, 4, 4), torch.randn(2, 3, 4, 4)
    pair_mean = global_affinity_loss(
        unit_vectors(preds_S), unit_vectors(preds_T))
    loss = AffinityDistillationLoss(reduction='squared')(preds_S, preds_T)
    assert loss.item() == pytest.approx(16 * pair_mean.item(), rel=1e-5)


def test_affinities_are_over_positions_not_per_channel():
    # Rescaling each position's vector keeps every cosine, hence the loss;
    # per-channel affinities (torchdistill's) would change.
    torch.manual_seed(3)
    preds_S, preds_T = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    scales = torch.rand(2, 1, 3, 3) * 10 + 0.1
    loss = AffinityDistillationLoss()
    assert loss(preds_S * scales, preds_T).item() == pytest.approx(
        loss(preds_S, preds_T).item(), rel=1e-5)


def test_equal_maps_give_zero_with_a_finite_gradient():
    feats = torch.randn(2, 4, 3, 3)
    student = feats.clone().requires_grad_()
    loss = AffinityDistillationLoss()(student, feats)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.isfinite(student.grad).all()


def test_zero_vectors_give_a_finite_loss_and_gradient():
    student = torch.randn(2, 4, 3, 3)
    student[:, :, 0, 0] = 0  # a position with all channels zero
    student.requires_grad_()
    loss = AffinityDistillationLoss()(student, torch.rand(2, 4, 3, 3))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(student.grad).all()


def test_a_128x128_grid_never_builds_mxm():
    # m = 16,384 positions: one float64 m x m matrix is 2 GiB per sample.
    torch.manual_seed(4)
    preds_S, preds_T = torch.randn(2, 16, 128,
                                   128), torch.randn(2, 16, 128, 128)
    meter = MemoryMeter(torch.device('cpu'))
    if not meter.method.startswith('VmHWM'):
        pytest.skip('needs a resettable peak RSS (/proc/self/clear_refs)')
    meter.start(settle=True)
    loss = AffinityDistillationLoss(reduction='squared')(preds_S, preds_T)
    _, extra_mib = meter.stop()
    assert extra_mib < 512, f'{extra_mib:.0f} MiB above the start'
    # Independent random 16-d unit vectors: E[(a_S - a_T)^2] ~ 2/16 off the
    # diagonal, so a squared row distance of about m * 2/16.
    assert loss.item() == pytest.approx(16384 * 2 / 16, rel=0.05)


def test_spatial_mismatch_and_invalid_reduction_raise():
    with pytest.raises(ValueError, match='resize_student=True'):
        AffinityDistillationLoss()(torch.randn(2, 4, 3, 3),
                                   torch.randn(2, 4, 6, 6))
    with pytest.raises(ValueError, match='reduction'):
        AffinityDistillationLoss(reduction='l1')
