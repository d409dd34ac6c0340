# Copyright (c) mmskd contributors. All rights reserved.
import pytest
import torch

import mmskd  # noqa: F401
from mmskd.benchmark import MemoryMeter
from mmskd.models.losses import PairWiseAffinityLoss, PairWiseFrameAffinityLoss
from mmskd.registry import MODELS


def explicit_nodes(maps, softmax, node):
    """(B, C, n) unit vectors: softmax, then node x node patch means."""
    if softmax:
        maps = maps.softmax(dim=1)
    num, channels, height, width = maps.shape
    patches = maps.reshape(num, channels, height // node, node, width // node,
                           node).mean(dim=(3, 5))
    vectors = patches.flatten(2)
    return vectors / vectors.norm(dim=1, keepdim=True)


def reference_loss(s_t, s_tk, t_t, t_tk, softmax=True, node=1):
    """Eq. (5.2) with the explicit N x N cross-frame affinities."""
    nodes = [explicit_nodes(m, softmax, node) for m in (s_t, s_tk, t_t, t_tk)]
    aff_S = nodes[0].transpose(1, 2) @ nodes[1]  # a_ij: i in t, j in t+k
    aff_T = nodes[2].transpose(1, 2) @ nodes[3]
    num_nodes = aff_S.shape[-1]
    assert aff_S.shape[-2:] == (num_nodes, num_nodes)
    return ((aff_S - aff_T)**2).sum(dim=(1, 2)).mean() / num_nodes**2


def random_maps(seed=0, num=2, classes_S=5, classes_T=7, height=6, width=4):
    generator = torch.Generator().manual_seed(seed)

    def draw(channels):
        return torch.randn(
            num,
            channels,
            height,
            width,
            generator=generator,
            dtype=torch.float64) * 2

    return draw(classes_S), draw(classes_S), draw(classes_T), draw(classes_T)


@pytest.mark.parametrize('softmax', [True, False])
@pytest.mark.parametrize('node_size', [1, 2])
def test_matches_explicit_nxn_reference(softmax, node_size):
    maps = random_maps()
    loss = MODELS.build(
        dict(
            _scope_='mmskd',
            type='PairWiseFrameAffinityLoss',
            softmax=softmax,
            node_size=node_size,
            loss_weight=3.0))
    value = loss(*maps)
    expected = 3.0 * reference_loss(*maps, softmax, node_size)
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_the_affinity_is_cross_frame_and_ordered():
    """Swapping the two frames of one network transposes its matrix only,
    so the loss changes unless both networks are swapped."""
    s_t, s_tk, t_t, t_tk = random_maps(1)
    loss = PairWiseFrameAffinityLoss()
    value = loss(s_t, s_tk, t_t, t_tk).item()
    assert loss(s_tk, s_t, t_tk, t_t).item() == pytest.approx(value, rel=1e-5)
    swapped = reference_loss(s_tk, s_t, t_t, t_tk).item()
    assert loss(s_tk, s_t, t_t, t_tk).item() == pytest.approx(
        swapped, rel=1e-5)
    assert abs(swapped - value) > 1e-3


def test_one_frame_twice_is_the_pair_wise_term():
    s_t, _, t_t, _ = random_maps(2)
    value = PairWiseFrameAffinityLoss(softmax=False)(s_t, s_t, t_t, t_t)
    expected = PairWiseAffinityLoss()(s_t, t_t)
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_a_student_equal_to_the_teacher_costs_nothing():
    _, _, t_t, t_tk = random_maps(3)
    loss = PairWiseFrameAffinityLoss()
    assert loss(t_t, t_tk, t_t, t_tk).item() == pytest.approx(0, abs=1e-6)


def test_gradient_matches_reference_and_spares_the_teacher():
    s_t, s_tk, t_t, t_tk = random_maps(4)
    s_t = s_t.float().requires_grad_()
    t_t = t_t.float().requires_grad_()
    PairWiseFrameAffinityLoss()(s_t, s_tk.float(), t_t, t_tk.float()) \
        .backward()
    s_t_ref = s_t.detach().double().requires_grad_()
    reference_loss(s_t_ref, s_tk, t_t.detach().double(), t_tk).backward()
    assert torch.allclose(
        s_t.grad.double(), s_t_ref.grad, rtol=1e-4, atol=1e-7)
    assert t_t.grad is None


def test_student_of_another_size_is_resized_or_refused():
    s_t, s_tk, t_t, t_tk = random_maps(5, height=8, width=8)
    small = (s_t[..., ::2, ::2], s_tk[..., ::2, ::2])
    with pytest.raises(ValueError, match='resize_student'):
        PairWiseFrameAffinityLoss()(*small, t_t, t_tk)
    value = PairWiseFrameAffinityLoss(resize_student=True)(*small, t_t, t_tk)
    assert torch.isfinite(value) and value > 0


def test_frame_shape_mismatch_raises():
    s_t, s_tk, t_t, t_tk = random_maps(6)
    with pytest.raises(ValueError, match='student maps of frames t and t\\+k'):
        PairWiseFrameAffinityLoss()(s_t, s_tk[..., :3], t_t, t_tk)


def test_memory_stays_far_below_nxn():
    # 128 x 128 positions: one N x N float32 affinity matrix is 1 GiB per
    # sample and per network, 4 GiB for the batch.
    generator = torch.Generator().manual_seed(7)
    maps = [
        torch.randn(2, 19, 128, 128, generator=generator) for _ in range(4)
    ]
    meter = MemoryMeter(torch.device('cpu'))
    if not meter.method.startswith('VmHWM'):
        pytest.skip('needs a resettable peak RSS (/proc/self/clear_refs)')
    meter.start(settle=True)
    value = PairWiseFrameAffinityLoss()(*maps)
    _, extra_mib = meter.stop()
    # The inputs are 2.4 MiB each; the Gram form needs a few copies.
    assert extra_mib < 256, f'{extra_mib:.0f} MiB above the start'
    assert torch.isfinite(value) and value > 0
