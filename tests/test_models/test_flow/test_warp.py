# Copyright (c) mmskd contributors. All rights reserved.
import itertools

import pytest
import torch

from mmskd.models.flow import flow_warp, warp_valid_mask


def constant_flow(num, height, width, dx, dy, dtype=torch.float64):
    flow = torch.empty(num, 2, height, width, dtype=dtype)
    flow[:, 0], flow[:, 1] = dx, dy
    return flow


def inside_mask(height, width, dx, dy):
    """Explicitly: target (y, x) samples (y + dy, x + dx), inside or not."""
    mask = torch.zeros(height, width, dtype=torch.bool)
    for y, x in itertools.product(range(height), range(width)):
        mask[y, x] = 0 <= x + dx <= width - 1 and 0 <= y + dy <= height - 1
    return mask


@pytest.mark.parametrize('dx, dy', [(0, 0), (2, 1), (-3, 0), (1, -2), (-1, -1),
                                    (9, 0), (0, -7)])
@pytest.mark.parametrize('dtype, atol', [(torch.float64, 1e-12),
                                         (torch.float32, 1e-6)])
def test_integer_shift_recovers_frame_t_inside(dx, dy, dtype, atol):
    torch.manual_seed(0)
    frame_t = torch.randn(2, 3, 7, 9, dtype=dtype)
    # Content moves by (dx, dy) from t to t+k: frame_tk[y + dy, x + dx] =
    # frame_t[y, x] wherever the roll does not wrap around.
    frame_tk = torch.roll(frame_t, shifts=(dy, dx), dims=(-2, -1))
    flow = constant_flow(2, 7, 9, dx, dy, dtype)
    warped = flow_warp(frame_tk, flow)
    valid = warp_valid_mask(flow)
    expected_valid = inside_mask(7, 9, dx, dy)
    assert valid.shape == (2, 1, 7, 9) and valid.dtype == torch.bool
    assert torch.equal(valid[0, 0], expected_valid)
    assert torch.equal(valid[1, 0], expected_valid)
    inside = expected_valid.expand(2, 3, 7, 9)
    assert torch.allclose(warped[inside], frame_t[inside], atol=atol, rtol=0)
    # Out of frame the sample hits the zero padding, never a wrapped pixel.
    assert torch.all(warped[~inside] == 0)


def test_per_pixel_integer_flow_gathers_source_pixels():
    torch.manual_seed(1)
    frame_tk = torch.randn(1, 2, 6, 5, dtype=torch.float64)
    flow = torch.randint(-2, 3, (1, 2, 6, 5)).double()
    warped = flow_warp(frame_tk, flow)
    valid = warp_valid_mask(flow)
    for y, x in itertools.product(range(6), range(5)):
        src_x = x + int(flow[0, 0, y, x])
        src_y = y + int(flow[0, 1, y, x])
        inside = 0 <= src_x < 5 and 0 <= src_y < 6
        assert bool(valid[0, 0, y, x]) == inside
        if inside:
            assert torch.allclose(warped[0, :, y, x], frame_tk[0, :, src_y,
                                                               src_x])


def test_fractional_flow_is_bilinear():
    torch.manual_seed(2)
    frame_tk = torch.randn(1, 2, 5, 6, dtype=torch.float64)
    dx, dy = 0.25, 1.5
    warped = flow_warp(frame_tk, constant_flow(1, 5, 6, dx, dy))
    for y, x in itertools.product(range(5), range(6)):
        src_x, src_y = x + dx, y + dy
        if not (0 <= src_x <= 5 and 0 <= src_y <= 4):
            continue
        x0, y0 = int(src_x), int(src_y)
        x1, y1 = min(x0 + 1, 5), min(y0 + 1, 4)
        wx, wy = src_x - x0, src_y - y0
        expected = ((1 - wx) * (1 - wy) * frame_tk[0, :, y0, x0] + wx *
                    (1 - wy) * frame_tk[0, :, y0, x1] +
                    (1 - wx) * wy * frame_tk[0, :, y1, x0] +
                    wx * wy * frame_tk[0, :, y1, x1])
        assert torch.allclose(warped[0, :, y, x], expected)


def test_source_between_last_pixel_and_border_is_out_of_frame():
    flow = constant_flow(1, 4, 4, 0.5, 0)
    valid = warp_valid_mask(flow)[0, 0]
    assert valid[:, :3].all() and not valid[:, 3].any()


def test_nearest_mode_keeps_labels_discrete():
    labels = torch.randint(0, 5, (1, 1, 6, 7)).double()
    flow = constant_flow(1, 6, 7, 1.2, -0.9)
    warped = flow_warp(labels, flow, 'nearest')
    # Nearest sampling rounds (1.2, -0.9) to the integer shift (1, -1).
    expected = torch.roll(labels, shifts=(1, -1), dims=(-2, -1))
    valid = warp_valid_mask(flow)
    # The mask is the same for both modes: sources past x = W - 1 (here the
    # last column, x + 1.2 > 6) are out of frame even where nearest
    # sampling would round them back in.
    assert not valid[..., 5:].any() and not valid[..., 0, :].any()
    assert valid[..., 1:, :5].all()
    assert torch.equal(warped[valid], expected[valid])
    assert torch.all(warped[~valid] == 0)


def test_single_pixel_axis():
    frame = torch.arange(5.).view(1, 1, 1, 5)
    warped = flow_warp(frame, constant_flow(1, 1, 5, 1, 0, torch.float32))
    assert torch.equal(warped[0, 0, 0, :4], frame[0, 0, 0, 1:])


def test_gradient_flows_to_the_warped_map():
    frame = torch.randn(1, 2, 4, 4, requires_grad=True)
    flow_warp(frame, constant_flow(1, 4, 4, 1, 0, torch.float32)).sum() \
        .backward()
    # Columns 1..3 are each sampled once, column 0 never.
    assert torch.equal(frame.grad[..., 0], torch.zeros(1, 2, 4))
    assert torch.equal(frame.grad[..., 1:], torch.ones(1, 2, 4, 3))


@pytest.mark.parametrize('flow_shape', [(1, 2, 4, 5), (2, 2, 4, 4),
                                        (1, 3, 4, 4), (1, 2, 4)])
def test_flow_that_does_not_fit_raises(flow_shape):
    with pytest.raises(ValueError, match='dx'):
        flow_warp(torch.zeros(1, 3, 4, 4), torch.zeros(flow_shape))


def test_bad_mode_and_input_raise():
    flow = torch.zeros(1, 2, 4, 4)
    with pytest.raises(ValueError, match='mode'):
        flow_warp(torch.zeros(1, 1, 4, 4), flow, mode='bicubic')
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        flow_warp(torch.zeros(1, 4, 4), flow)
