# Copyright (c) mmskd contributors. All rights reserved.
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.models.losses import MotionGuidedTemporalLoss
from mmskd.registry import MODELS


def reference_loss(preds_t,
                   preds_tk,
                   img_t,
                   img_tk,
                   flow,
                   use_logits=False,
                   mask_reduction='l1'):
    """Eq. (5.1) pixel by pixel, for integer flow fields.

    q̂(i) = q_{t+k}(i + δi) and Î(i) = I_{t+k}(i + δi); positions whose
    source is out of frame add nothing but still count in N.
    """
    q_t, q_tk = (
        p if use_logits else p.softmax(dim=1) for p in (preds_t, preds_tk))
    num, _, height, width = img_t.shape
    total = 0.0
    for b, y, x in itertools.product(range(num), range(height), range(width)):
        src_x = x + int(flow[b, 0, y, x])
        src_y = y + int(flow[b, 1, y, x])
        if not (0 <= src_x < width and 0 <= src_y < height):
            continue
        diffs = [
            float(img_t[b, c, y, x] - img_tk[b, c, src_y, src_x])
            for c in range(img_t.shape[1])
        ]
        if mask_reduction == 'l1':
            distance = sum(abs(d) for d in diffs)
        elif mask_reduction == 'mean':
            distance = sum(abs(d) for d in diffs) / len(diffs)
        else:
            distance = abs(sum(diffs))
        sq_dist = sum(
            float(q_t[b, k, y, x] - q_tk[b, k, src_y, src_x])**2
            for k in range(q_t.shape[1]))
        total += math.exp(-distance) * sq_dist
    return total / (num * height * width)


def random_case(seed=0, num=2, classes=4, height=5, width=6):
    generator = torch.Generator().manual_seed(seed)
    preds_t = torch.randn(num, classes, height, width, generator=generator)
    preds_tk = torch.randn(num, classes, height, width, generator=generator)
    img_t = torch.rand(num, 3, height, width, generator=generator)
    img_tk = torch.rand(num, 3, height, width, generator=generator)
    flow = torch.randint(
        -2, 3, (num, 2, height, width), generator=generator).float()
    return preds_t.double(), preds_tk.double(), img_t, img_tk, flow


@pytest.mark.parametrize('use_logits', [False, True])
@pytest.mark.parametrize('mask_reduction', ['l1', 'mean', 'abs_sum'])
def test_matches_pixel_by_pixel_reference(use_logits, mask_reduction):
    case = random_case()
    loss = MODELS.build(
        dict(
            _scope_='mmskd',
            type='MotionGuidedTemporalLoss',
            use_logits=use_logits,
            mask_reduction=mask_reduction,
            loss_weight=0.5))
    value = loss(*case)
    expected = 0.5 * reference_loss(*case, use_logits, mask_reduction)
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('dx, dy', [(2, 1), (-1, 3), (0, -2)])
def test_predictions_that_follow_the_motion_cost_nothing(dx, dy):
    """Frames and predictions move by a known shift: the true flow warps
    frame t+k's predictions exactly onto frame t's, wherever it can."""
    torch.manual_seed(0)
    preds_t = torch.randn(2, 5, 8, 9)
    img_t = torch.rand(2, 3, 8, 9)
    shift = dict(shifts=(dy, dx), dims=(-2, -1))
    preds_tk, img_tk = torch.roll(preds_t, **shift), torch.roll(img_t, **shift)
    flow = torch.zeros(2, 2, 8, 9)
    flow[:, 0], flow[:, 1] = dx, dy
    loss = MotionGuidedTemporalLoss()
    assert loss(preds_t, preds_tk, img_t, img_tk, flow).item() < 1e-10
    # The wrong flow (none) sees the motion as a prediction change.
    assert loss(preds_t, preds_tk, img_t, img_tk, 0 * flow).item() > 1e-2


def test_occluded_pixels_weigh_less():
    preds_t, preds_tk, img_t, _, flow = random_case(1)
    value_visible = MotionGuidedTemporalLoss()(preds_t, preds_tk, img_t, img_t,
                                               0 * flow)
    img_tk = img_t.clone()
    img_tk[..., :2, :] += 1.0  # these pixels no longer match: occluded
    value_occluded = MotionGuidedTemporalLoss()(preds_t, preds_tk, img_t,
                                                img_tk, 0 * flow)
    expected = reference_loss(preds_t, preds_tk, img_t, img_tk, 0 * flow)
    assert value_occluded.item() < value_visible.item()
    assert value_occluded.item() == pytest.approx(expected, rel=1e-5)


def test_low_resolution_predictions_are_upsampled_to_the_flow():
    preds_t, preds_tk, img_t, img_tk, flow = random_case(2, height=8, width=8)
    small_t = preds_t[..., ::2, ::2]
    small_tk = preds_tk[..., ::2, ::2]
    up = [
        F.interpolate(p, size=(8, 8), mode='bilinear', align_corners=False)
        for p in (small_t, small_tk)
    ]
    loss = MotionGuidedTemporalLoss()
    value = loss(small_t, small_tk, img_t, img_tk, flow)
    expected = reference_loss(up[0], up[1], img_t, img_tk, flow)
    assert value.item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('detach_warped', [False, True])
def test_gradients(detach_warped):
    preds_t, preds_tk, img_t, img_tk, flow = random_case(3)
    preds_t = preds_t.float().requires_grad_()
    preds_tk = preds_tk.float().requires_grad_()
    flow.requires_grad_()
    loss = MotionGuidedTemporalLoss(detach_warped=detach_warped)
    loss(preds_t, preds_tk, img_t, img_tk, flow).backward()
    assert preds_t.grad.abs().sum() > 0
    if detach_warped:
        assert preds_tk.grad is None
    else:
        assert preds_tk.grad.abs().sum() > 0
    assert flow.grad is None  # the flow is a constant


def test_float32_under_bfloat16_autocast():
    case = [t.float() for t in random_case(4)]
    loss = MotionGuidedTemporalLoss()
    expected = loss(*case)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(
            *[t.bfloat16() if i < 2 else t for i, t in enumerate(case)])
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected.item(), rel=0.05)


def test_shape_errors():
    preds_t, preds_tk, img_t, img_tk, flow = random_case()
    loss = MotionGuidedTemporalLoss()
    with pytest.raises(ValueError, match='logits of frames t and t\\+k'):
        loss(preds_t, preds_tk[:, :3], img_t, img_tk, flow)
    with pytest.raises(ValueError, match='frames of frames t and t\\+k'):
        loss(preds_t, preds_tk, img_t, img_tk[..., :4], flow)
    with pytest.raises(ValueError, match='2 predictions but 1 frames'):
        loss(preds_t, preds_tk, img_t[:1], img_tk[:1], flow[:1])
    with pytest.raises(ValueError, match='the flow must have shape'):
        loss(preds_t, preds_tk, img_t, img_tk, flow[..., :4])
    with pytest.raises(ValueError, match='mask_reduction'):
        MotionGuidedTemporalLoss(mask_reduction='max')
