# Copyright (c) mmskd contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.models.losses import LocalSimilarityLoss
from mmskd.registry import MODELS


def reference_local_map(feats, normalize):
    """Loop over pixels and their 8 neighbours, summing Euclidean distances.

    Returns a (N, H, W) float64 map; neighbours outside the map are skipped.
    """
    num, _, height, width = feats.shape
    feats = feats.double()
    out = torch.zeros(num, height, width, dtype=torch.float64)
    for n in range(num):
        for y in range(height):
            for x in range(width):
                centre = feats[n, :, y, x]
                if normalize:
                    centre = centre / centre.norm()
                for ny in range(y - 1, y + 2):
                    for nx in range(x - 1, x + 2):
                        inside = 0 <= ny < height and 0 <= nx < width
                        if not inside or (ny, nx) == (y, x):
                            continue
                        neighbour = feats[n, :, ny, nx]
                        if normalize:
                            neighbour = neighbour / neighbour.norm()
                        out[n, y, x] += (neighbour - centre).norm()
    return out


def reference_loss(feats_S, feats_T, normalize):
    diff = reference_local_map(feats_S, normalize) - \
        reference_local_map(feats_T, normalize)
    return (diff**2).mean()


def test_hand_computed_row_of_three_pixels():
    # One channel, one row [0, 1, 3]: pixel 0 sees only pixel 1 (distance
    # 1), pixel 1 sees both (1 + 2), pixel 2 sees pixel 1 (2). A constant
    # teacher has distance sums 0, so the loss is (1² + 3² + 2²) / 3.
    feats_S = torch.tensor([0., 1., 3.]).view(1, 1, 1, 3)
    feats_T = torch.full((1, 4, 1, 3), 0.5)
    loss = LocalSimilarityLoss(normalize_features=False, loss_weight=2.0)
    assert loss(feats_S, feats_T).item() == pytest.approx(2.0 * 14 / 3)


def test_hand_computed_normalised_corner():
    # 2 x 2 map, 2 channels: the corner pixel (0, 0) has 3 neighbours.
    # Unit vectors e1 at (0, 0) and (1, 1), e2 at (0, 1) and (1, 0): each
    # pixel sees two orthogonal neighbours (distance sqrt 2) and one equal
    # one (0) -> every sum is 2 sqrt 2. Scaled by 3 they normalise alike.
    e1, e2 = torch.tensor([1., 0.]), torch.tensor([0., 1.])
    feats_S = torch.stack([torch.stack([e1, e2]),
                           torch.stack([e2, e1])]).permute(2, 0, 1)[None] * 3
    feats_T = torch.ones(1, 3, 2, 2)  # all equal: every distance is 0
    value = LocalSimilarityLoss()(feats_S, feats_T)
    assert value.item() == pytest.approx((2 * math.sqrt(2))**2, rel=1e-6)


@pytest.mark.parametrize('normalize', [True, False])
def test_matches_explicit_loops_on_random_maps(normalize):
    torch.manual_seed(0)
    # 4 x 5 has corners, edges and interior pixels; the widths differ.
    feats_S = torch.randn(2, 3, 4, 5)
    feats_T = torch.randn(2, 6, 4, 5)
    loss = LocalSimilarityLoss(normalize_features=normalize, loss_weight=0.5)
    expected = 0.5 * reference_loss(feats_S, feats_T, normalize)
    value = loss(feats_S, feats_T)
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_normalised_loss_ignores_feature_scale():
    torch.manual_seed(1)
    feats_S = torch.randn(1, 4, 5, 5)
    feats_T = torch.randn(1, 8, 5, 5)
    # A positive scale per pixel leaves every direction unchanged.
    scale = torch.rand(1, 1, 5, 5) + 0.5
    normalised = LocalSimilarityLoss()
    raw = LocalSimilarityLoss(normalize_features=False)
    assert torch.allclose(
        normalised(feats_S * scale, feats_T), normalised(feats_S, feats_T))
    assert not torch.allclose(
        raw(feats_S * scale, feats_T), raw(feats_S, feats_T))


def test_same_features_give_zero():
    feats = torch.randn(2, 4, 3, 6)
    assert LocalSimilarityLoss()(feats, feats).item() == 0.0


@pytest.mark.parametrize('normalize', [True, False])
def test_gradient_reaches_student_only_and_is_finite(normalize):
    feats_S = torch.randn(2, 3, 4, 4)
    # Equal neighbours (zero distances) and an all-zero pixel: the two
    # places where a norm has no derivative.
    feats_S[:, :, :2, :2] = 1.0
    feats_S[0, :, 3, 3] = 0.0
    feats_S.requires_grad_()
    feats_T = torch.randn(2, 5, 4, 4, requires_grad=True)
    LocalSimilarityLoss(normalize_features=normalize)(feats_S,
                                                      feats_T).backward()
    assert torch.isfinite(feats_S.grad).all()
    assert feats_S.grad.abs().sum() > 0
    assert feats_T.grad is None


def test_gradient_matches_explicit_loops():
    torch.manual_seed(2)
    feats_S = torch.randn(1, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    feats_T = torch.randn(1, 2, 3, 4, dtype=torch.float64)
    LocalSimilarityLoss()(feats_S, feats_T).backward()
    grad = feats_S.grad.clone()
    feats_S.grad = None
    reference_loss(feats_S, feats_T, normalize=True).backward()
    assert torch.allclose(grad, feats_S.grad, rtol=1e-4, atol=1e-6)


def test_resize_student_is_bilinear():
    feats_S, feats_T = torch.randn(2, 3, 3, 4), torch.randn(2, 5, 6, 8)
    resized = F.interpolate(feats_S, (6, 8), mode='bilinear')
    value = LocalSimilarityLoss(resize_student=True)(feats_S, feats_T)
    assert torch.allclose(value, LocalSimilarityLoss()(resized, feats_T))


@pytest.mark.parametrize('shape_S, shape_T, message', [
    ((2, 3, 4, 4), (2, 3, 8, 8), 'resize_student=True'),
    ((2, 3, 4, 4), (1, 3, 4, 4), 'batch size'),
    ((3, 4, 4), (2, 3, 4, 4), r'\(N, C, H, W\)'),
])
def test_bad_shapes_raise_with_the_fix(shape_S, shape_T, message):
    with pytest.raises(ValueError, match=message):
        LocalSimilarityLoss()(torch.randn(shape_S), torch.randn(shape_T))


def test_float32_under_autocast():
    torch.manual_seed(4)
    feats_S = torch.randn(2, 4, 6, 5)
    feats_T = torch.randn(2, 6, 6, 5)
    loss = LocalSimilarityLoss()
    reference = loss(feats_S, feats_T)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(feats_S.bfloat16(), feats_T.bfloat16())
    assert value.dtype == torch.float32
    assert torch.allclose(value, reference, rtol=5e-2)


def test_registry_builds_it_in_the_mmskd_scope():
    loss = MODELS.build(
        dict(type='LocalSimilarityLoss', loss_weight=10.0, _scope_='mmskd'))
    assert type(loss) is LocalSimilarityLoss and loss.loss_weight == 10.0
