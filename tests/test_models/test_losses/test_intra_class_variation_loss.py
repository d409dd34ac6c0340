# Copyright (c) mmskd contributors. All rights reserved.
"""IntraClassVariationLoss on hand-made tensors; test_comparison_rows.py
checks that the label recorder feeds it in a training forward."""
import math

import pytest
import torch

import mmskd  # noqa: F401
from mmskd.models.losses import IntraClassVariationLoss
from mmskd.registry import MODELS

IGNORE = 255


def pixels(*vectors):
    """A (1, C, 1, W) map whose pixels are the given channel vectors."""
    width, channels = len(vectors), len(vectors[0])
    as_rows = torch.tensor(vectors, dtype=torch.float32)  # (W, C)
    return as_rows.T.reshape(1, channels, 1, width)


def reference_similarities(feats, labels):
    """Cosine of each labelled pixel to its per-image class mean, by loops.

    Returns a dict (n, y, x) -> cosine, float64.
    """
    feats = feats.double()
    num, _, height, width = feats.shape
    out = {}
    for n in range(num):
        for y in range(height):
            for x in range(width):
                label = int(labels[n, y, x])
                if label == IGNORE:
                    continue
                members = [
                    feats[n, :, yy, xx] for yy in range(height)
                    for xx in range(width) if int(labels[n, yy, xx]) == label
                ]
                prototype = sum(members) / len(members)
                pixel = feats[n, :, y, x]
                out[n, y, x] = pixel.dot(prototype) / (
                    pixel.norm() * prototype.norm())
    return out


def reference_loss(feats_S, feats_T, labels):
    sims_S = reference_similarities(feats_S, labels)
    sims_T = reference_similarities(feats_T, labels)
    return sum((sims_S[k] - sims_T[k])**2 for k in sims_S) / len(sims_S)


def test_hand_computed_two_classes():
    # Student class 0 = {(1, 0), (0, 1)}: prototype (0.5, 0.5), both cosines
    # 1/sqrt 2. Teacher class 0 = {(1, 0), (1, 0)}: cosines 1. Class 1 has
    # one pixel in each network: cosine 1. Mean over 3 pixels.
    feats_S = pixels((1, 0), (0, 1), (1, 1))
    feats_T = pixels((1, 0), (1, 0), (0, 2))
    labels = torch.tensor([[[0, 0, 1]]])
    value = IntraClassVariationLoss(loss_weight=3.0)(feats_S, feats_T, labels)
    expected = 3.0 * 2 * (1 - 1 / math.sqrt(2))**2 / 3
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_ignored_pixels_leave_prototypes_and_mean():
    feats_S = pixels((1, 0), (0, 1), (1, 1))
    feats_T = pixels((1, 0), (1, 0), (0, 2))
    labels = torch.tensor([[[0, 0, IGNORE]]])
    loss = IntraClassVariationLoss()
    value = loss(feats_S, feats_T, labels)
    # Only the two class-0 pixels remain: (1/sqrt 2 - 1)² each.
    assert value.item() == pytest.approx((1 - 1 / math.sqrt(2))**2, rel=1e-6)
    # Whatever the ignored pixel holds, it changes nothing.
    other_S = pixels((1, 0), (0, 1), (-7, 3))
    assert loss(other_S, feats_T, labels).item() == pytest.approx(
        value.item(), rel=1e-6)


def test_matches_explicit_loops_with_downsampled_labels():
    torch.manual_seed(0)
    feats_S = torch.randn(2, 3, 4, 5)
    feats_T = torch.randn(2, 6, 4, 5)
    # Labels at twice the feature size; nearest sampling keeps every other
    # row and column starting at 0.
    labels = torch.randint(0, 3, (2, 1, 8, 10))
    labels[0, 0, 0, :4] = IGNORE
    labels[1, 0, 2:6, 2:6] = 7
    value = IntraClassVariationLoss(loss_weight=0.5)(feats_S, feats_T, labels)
    expected = 0.5 * reference_loss(feats_S, feats_T, labels[:, 0, ::2, ::2])
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_prototypes_are_per_image():
    torch.manual_seed(1)
    feats_S = torch.randn(2, 3, 3, 3)
    feats_T = torch.randn(2, 4, 3, 3)
    labels = torch.randint(0, 2, (2, 3, 3))
    labels[1, 0] = IGNORE  # unequal pixel counts per image
    loss = IntraClassVariationLoss()
    singles = [
        loss(feats_S[i:i + 1], feats_T[i:i + 1], labels[i:i + 1])
        for i in range(2)
    ]
    counts = [(labels[i] != IGNORE).sum() for i in range(2)]
    # The batch loss is the pixel-weighted mean of the per-image losses.
    expected = sum(s * c for s, c in zip(singles, counts)) / sum(counts)
    assert torch.allclose(loss(feats_S, feats_T, labels), expected)


def test_label_layouts_agree():
    torch.manual_seed(2)
    feats_S, feats_T = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4)
    labels = torch.randint(0, 4, (2, 4, 4))
    loss = IntraClassVariationLoss()
    with_channel_axis = labels[:, None]
    assert torch.equal(
        loss(feats_S, feats_T, labels),
        loss(feats_S, feats_T, with_channel_axis))


def test_unlabelled_batch_gives_zero_and_zero_gradient():
    feats_S = torch.randn(2, 3, 4, 4, requires_grad=True)
    labels = torch.full((2, 1, 8, 8), IGNORE)
    value = IntraClassVariationLoss()(feats_S, torch.randn(2, 3, 4, 4), labels)
    value.backward()
    assert value.item() == 0.0
    assert torch.equal(feats_S.grad, torch.zeros_like(feats_S))


def test_gradient_reaches_student_only_and_is_finite():
    feats_S = torch.randn(2, 3, 4, 4)
    feats_S[0, :, 0, 0] = 0.0  # an all-zero (post-ReLU) pixel
    feats_S.requires_grad_()
    feats_T = torch.randn(2, 5, 4, 4, requires_grad=True)
    labels = torch.randint(0, 3, (2, 4, 4))
    IntraClassVariationLoss()(feats_S, feats_T, labels).backward()
    assert torch.isfinite(feats_S.grad).all()
    assert feats_S.grad.abs().sum() > 0
    assert feats_T.grad is None


def test_same_features_give_zero():
    feats = torch.randn(2, 4, 3, 3)
    labels = torch.randint(0, 3, (2, 3, 3))
    assert IntraClassVariationLoss()(feats, feats, labels).item() == 0.0


@pytest.mark.parametrize('labels, message', [
    (torch.zeros(3, 4, 4, dtype=torch.long), 'N = 2'),
    (torch.zeros(2, 2, 4, 4, dtype=torch.long), r'\(N, 1, H, W\)'),
    (torch.full((2, 4, 4), -1), 'ignore_index=255'),
])
def test_bad_labels_raise_with_the_fix(labels, message):
    with pytest.raises(ValueError, match=message):
        IntraClassVariationLoss()(torch.randn(2, 3, 4, 4),
                                  torch.randn(2, 3, 4, 4), labels)


def test_feature_size_mismatch_names_resize_student():
    with pytest.raises(ValueError, match='resize_student=True'):
        IntraClassVariationLoss()(torch.randn(2, 3, 4, 4),
                                  torch.randn(2, 3, 8, 8),
                                  torch.zeros(2, 8, 8, dtype=torch.long))


def test_float32_under_autocast():
    torch.manual_seed(3)
    feats_S, feats_T = torch.randn(2, 4, 6, 5), torch.randn(2, 6, 6, 5)
    labels = torch.randint(0, 3, (2, 6, 5))
    loss = IntraClassVariationLoss()
    reference = loss(feats_S, feats_T, labels)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(feats_S.bfloat16(), feats_T.bfloat16(), labels)
    assert value.dtype == torch.float32
    assert torch.allclose(value, reference, rtol=5e-2)


def test_registry_builds_it_in_the_mmskd_scope():
    cfg = dict(type='IntraClassVariationLoss', ignore_index=0, _scope_='mmskd')
    loss = MODELS.build(cfg)
    assert type(loss) is IntraClassVariationLoss and loss.ignore_index == 0
