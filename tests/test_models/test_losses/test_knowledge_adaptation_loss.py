# Copyright (c) mmskd contributors. All rights reserved.
"""L_adapt of knowledge adaptation, Eq. (2): mean over positions of the
p-norm of the difference of q-normalised maps (divided by C^(1/p) with
reduction='mean')."""
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.models.losses import KnowledgeAdaptationLoss


def one_sample(*vectors):
    """A (1, C, 1, len(vectors)) map with the given C-vectors as positions."""
    return torch.tensor(vectors, dtype=torch.float32).t()[None, :, None, :]


# The teacher code has (3, 4) and a zero vector, the student (0, 1), (1, 0).
CODE = one_sample((3., 4.), (0., 0.))
ADAPTED = one_sample((0., 1.), (1., 0.))


def test_per_sample_normalisation_by_hand():
    # ||CODE|| = 5, ||ADAPTED|| = sqrt(2): the differences are
    # (0.6, 0.8 - 1/sqrt(2)) and (-1/sqrt(2), 0), whose L1 norms sum to 1.4.
    loss = KnowledgeAdaptationLoss(
        normalize='sample', reduction='sum', loss_weight=50)(ADAPTED, CODE)
    assert loss.item() == pytest.approx(50 * 1.4 / 2, rel=1e-6)


def test_per_position_normalisation_by_hand():
    # Position 0: (0.6, 0.8) - (0, 1), L1 0.8; position 1: the zero vector
    # stays zero, (0, 0) - (1, 0), L1 1.
    loss = KnowledgeAdaptationLoss(
        normalize='position', reduction='sum')(ADAPTED, CODE)
    assert loss.item() == pytest.approx(0.9, rel=1e-6)


def test_defaults_normalise_positions_and_average_every_element():
    # The positions above, each L1 norm over C = 2 channels halved.
    assert KnowledgeAdaptationLoss()(ADAPTED, CODE).item() == \
        pytest.approx(0.9 / 2, rel=1e-6)
    # p = 2: each position's L2 norm divided by sqrt(C).
    expected = (math.hypot(0.6, -0.2) + math.hypot(-1, 0)) / 2 / math.sqrt(2)
    assert KnowledgeAdaptationLoss(p=2)(ADAPTED, CODE).item() == \
        pytest.approx(expected, rel=1e-6)


def test_p2_by_hand():
    root_half = 1 / math.sqrt(2)
    expected = (math.hypot(0.6, 0.8 - root_half) + root_half) / 2
    loss = KnowledgeAdaptationLoss(
        p=2, normalize='sample', reduction='sum')(ADAPTED, CODE)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def reference(preds_S, preds_T, p, q, normalize, reduction):
    """Loop over samples and positions in float64."""
    total, count = 0.0, 0
    for n in range(preds_S.shape[0]):
        s, t = preds_S[n].double(), preds_T[n].double()
        if normalize == 'sample':
            s = s / torch.linalg.vector_norm(s.flatten(), ord=q)
            t = t / torch.linalg.vector_norm(t.flatten(), ord=q)
        for y in range(s.shape[1]):
            for x in range(s.shape[2]):
                vs, vt = s[:, y, x], t[:, y, x]
                if normalize == 'position':
                    vs = vs / torch.linalg.vector_norm(vs, ord=q)
                    vt = vt / torch.linalg.vector_norm(vt, ord=q)
                if reduction == 'sum':
                    total += torch.linalg.vector_norm(vt - vs, ord=p).item()
                    count += 1
                else:  # the power mean of |difference| over the channels
                    total += ((vt - vs).abs()**p).mean().item()**(1 / p)
                    count += 1
    return total / count


@pytest.mark.parametrize('reduction', ['mean', 'sum'])
@pytest.mark.parametrize('normalize', ['sample', 'position'])
@pytest.mark.parametrize('p,q', [(1, 2), (2, 2), (1, 1), (3, 2)])
def test_matches_loop_reference(normalize, reduction, p, q):
    torch.manual_seed(0)
    preds_S = torch.randn(3, 5, 4, 6)
    preds_T = torch.randn(3, 5, 4, 6).relu() + 0.1
    loss = KnowledgeAdaptationLoss(
        p=p, q=q, normalize=normalize, reduction=reduction)(preds_S, preds_T)
    assert loss.item() == pytest.approx(
        reference(preds_S, preds_T, p, q, normalize, reduction), rel=1e-5)


def test_sample_mean_is_torchdistills_element_mean():
    # torchdistill's KTALoss: l1_loss(mean) of the L2-normalised flattened
    # maps, i.e. the mean over all N*C*H*W elements; summing over the C = 7
    # channels is 7 times that.
    torch.manual_seed(1)
    preds_S, preds_T = torch.randn(2, 7, 3, 4), torch.randn(2, 7, 3, 4)
    element_mean = F.l1_loss(
        F.normalize(preds_S.flatten(1), dim=1),
        F.normalize(preds_T.flatten(1), dim=1)).item()
    for reduction, times in (('mean', 1), ('sum', 7)):
        loss = KnowledgeAdaptationLoss(
            normalize='sample', reduction=reduction)(preds_S, preds_T)
        assert loss.item() == pytest.approx(times * element_mean, rel=1e-5)


def test_invariant_to_the_scale_of_each_map():
    torch.manual_seed(2)
    preds_S, preds_T = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    loss = KnowledgeAdaptationLoss()
    assert loss(preds_S * 7, preds_T * 0.01).item() == pytest.approx(
        loss(preds_S, preds_T).item(), rel=1e-5)


def test_gradient_reaches_the_student_only_and_zero_maps_are_finite():
    preds_S = torch.zeros(2, 4, 3, 3, requires_grad=True)
    preds_T = torch.rand(2, 4, 3, 3, requires_grad=True)
    for normalize in ('sample', 'position'):
        loss = KnowledgeAdaptationLoss(normalize=normalize)(preds_S, preds_T)
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(preds_S.grad).all()
    assert preds_T.grad is None
    student = torch.rand(2, 4, 3, 3, requires_grad=True)
    KnowledgeAdaptationLoss()(student, preds_T).backward()
    assert student.grad.abs().sum() > 0


def test_resize_student_and_mismatches():
    torch.manual_seed(3)
    small, large = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 6, 6)
    with pytest.raises(ValueError, match='resize_student=True'):
        KnowledgeAdaptationLoss()(small, large)
    resized = F.interpolate(
        small, size=(6, 6), mode='bilinear', align_corners=False)
    assert KnowledgeAdaptationLoss(resize_student=True)(
        small, large).item() == pytest.approx(
            KnowledgeAdaptationLoss()(resized, large).item(), rel=1e-6)
    with pytest.raises(ValueError, match='out_channel'):
        KnowledgeAdaptationLoss()(torch.randn(2, 3, 3, 3), small)


@pytest.mark.parametrize('kwargs, match', [
    (dict(normalize='channel'), 'normalize'),
    (dict(reduction='none'), 'reduction'),
    (dict(p=0), 'p must'),
    (dict(q=-1), 'q must'),
])
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KnowledgeAdaptationLoss(**kwargs)
