# Copyright (c) mmskd contributors. All rights reserved.
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.benchmark import MemoryMeter
from mmskd.models.losses import PairWiseAffinityLoss


def reference_nodes(feats, node_size, pool):
    """Pool patches one by one; border patches only cover real pixels.

    Returns (N, C, n) unit-norm node features and the (row, col) of each node.
    """
    node_h, node_w = node_size
    height, width = feats.shape[-2:]
    nodes, coords = [], []
    for row, top in enumerate(range(0, height, node_h)):
        for col, left in enumerate(range(0, width, node_w)):
            patch = feats[:, :, top:top + node_h, left:left + node_w]
            if pool == 'avg':
                nodes.append(patch.mean(dim=(2, 3)))
            else:
                nodes.append(patch.amax(dim=(2, 3)))
            coords.append((row, col))
    nodes = torch.stack(nodes, dim=2)
    return F.normalize(nodes, dim=1), torch.tensor(coords)


def reference_loss(feats_S, feats_T, node_size, connection_range, pool):
    """Build the explicit n x n affinity matrices and a connectivity mask."""
    nodes_S, coords = reference_nodes(feats_S, node_size, pool)
    nodes_T, _ = reference_nodes(feats_T, node_size, pool)
    aff_S = nodes_S.transpose(1, 2) @ nodes_S
    aff_T = nodes_T.transpose(1, 2) @ nodes_T
    num_nodes = coords.shape[0]
    if connection_range is None:
        mask = torch.ones(num_nodes, num_nodes)
    else:
        chebyshev = (coords[:, None] - coords[None]).abs().amax(dim=-1)
        mask = (chebyshev <= connection_range).float()
    sq_diff = ((aff_S - aff_T)**2 * mask).sum(dim=(1, 2))
    return (sq_diff / mask.sum()).mean()


def as_pair(node_size):
    return (node_size, node_size) if isinstance(node_size, int) else node_size


@pytest.mark.parametrize(
    'node_size, connection_range, pool',
    list(itertools.product([1, 2, (2, 3), 3], [None, 1, 2], ['avg', 'max'])))
def test_matches_explicit_nxn_reference(node_size, connection_range, pool):
    torch.manual_seed(0)
    # 7 x 5 is not divisible by 2 or 3: border nodes are partial patches.
    # Mixed signs make max pooling sensitive to any zero padding.
    feats_S = torch.randn(2, 3, 7, 5, dtype=torch.float64)
    feats_T = torch.randn(2, 5, 7, 5, dtype=torch.float64)
    loss = PairWiseAffinityLoss(
        node_size=node_size,
        connection_range=connection_range,
        pool=pool,
        loss_weight=2.5)
    expected = 2.5 * reference_loss(feats_S, feats_T, as_pair(node_size),
                                    connection_range, pool)
    value = loss(feats_S, feats_T)
    assert value.dtype == torch.float32
    assert torch.allclose(value.double(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('connection_range', [None, 1, 2])
def test_gradient_matches_reference(connection_range):
    torch.manual_seed(1)
    feats = torch.randn(2, 4, 6, 5)
    feats_T = torch.randn(2, 3, 6, 5)
    feats_S = feats.clone().requires_grad_()
    PairWiseAffinityLoss(
        node_size=(2, 1),
        connection_range=connection_range)(feats_S, feats_T).backward()
    feats_ref = feats.clone().requires_grad_()
    reference_loss(feats_ref, feats_T, (2, 1), connection_range,
                   'avg').backward()
    assert feats_S.grad.abs().sum() > 0
    assert torch.allclose(feats_S.grad, feats_ref.grad, atol=1e-6)


def test_orthogonal_student_nodes_against_parallel_teacher():
    # Student nodes (1, 0) and (0, 1): a_01 = 0; teacher nodes both (1, 1):
    # a_01 = 1. Ordered pairs: (0,0), (1,1) differ by 0; (0,1), (1,0) by 1.
    feats_S = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).view(1, 2, 1, 2)
    feats_T = torch.ones(1, 2, 1, 2)
    loss = PairWiseAffinityLoss()(feats_S, feats_T)
    assert loss.item() == pytest.approx(2 / 4)


def test_constant_maps_have_zero_loss():
    feats_S = torch.full((2, 3, 7, 5), 2.0)
    feats_T = torch.full((2, 6, 7, 5), -0.5)
    for connection_range in (None, 1):
        loss = PairWiseAffinityLoss(
            node_size=2, connection_range=connection_range)
        assert loss(feats_S, feats_T).item() == pytest.approx(0, abs=1e-6)


def test_checkerboard_teacher_counts_only_pairs_inside_the_map():
    # Teacher nodes along a 1 x 3 line are +v, -v, +v (a_ij = +-1); the
    # student is constant (a_ij = 1). Each opposite-sign pair costs 4.
    feats_S = torch.ones(1, 2, 1, 3)
    feats_T = torch.tensor([1.0, -1.0, 1.0]).view(1, 1, 1,
                                                  3).repeat(1, 2, 1, 1)
    # Full graph: 9 ordered pairs, 4 of them opposite.
    assert PairWiseAffinityLoss()(feats_S,
                                  feats_T).item() == pytest.approx(16 / 9)
    # r = 1: 3 self pairs + 4 neighbour pairs (the border nodes have one
    # neighbour each; off-map neighbours are not counted), all 4 opposite.
    local = PairWiseAffinityLoss(connection_range=1)(feats_S, feats_T)
    assert local.item() == pytest.approx(16 / 7)


def test_avg_pool_border_patch_is_its_own_node():
    # A 1 x 3 map with 1 x 2 nodes: pixels 0-1 form node 0 and the border
    # pixel 2 alone forms node 1 (ceil_mode). Whether its average divides
    # by 1 or by 2 only scales the node, which L2 normalisation removes.
    feats_S = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).view(1, 2, 1, 3)
    feats_T = torch.ones(1, 2, 1, 3) * torch.tensor([1.0, 0.0]).view(
        1, 2, 1, 1)
    # Student nodes (1, 0) and (0, 1), teacher nodes (1, 0) and (1, 0).
    loss = PairWiseAffinityLoss(node_size=(1, 2))(feats_S, feats_T)
    assert loss.item() == pytest.approx(2 / 4)


def test_max_pool_does_not_pad_with_zeros():
    # All-negative features: a zero-padded max would turn the border node
    # of the student into (0, 0), i.e. a zero node with affinities 0.
    feats_S = -torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]).view(
        1, 2, 1, 3)
    feats_T = feats_S.clone()
    loss = PairWiseAffinityLoss(node_size=(1, 2), pool='max')
    assert loss(feats_S, feats_T).item() == pytest.approx(0, abs=1e-7)
    assert torch.allclose(
        loss(feats_S, feats_S.flip(1)),
        reference_loss(feats_S, feats_S.flip(1), (1, 2), None, 'max'))


def test_large_connection_range_equals_full_graph():
    torch.manual_seed(2)
    feats_S = torch.randn(2, 3, 7, 5)
    feats_T = torch.randn(2, 4, 7, 5)
    full = PairWiseAffinityLoss(node_size=2)(feats_S, feats_T)
    for connection_range in (3, 10):  # node grid is 4 x 3
        local = PairWiseAffinityLoss(
            node_size=2, connection_range=connection_range)
        assert torch.allclose(local(feats_S, feats_T), full)
    # r = 2 leaves out the pairs 3 rows apart, so the value differs.
    local = PairWiseAffinityLoss(node_size=2, connection_range=2)
    assert not torch.allclose(local(feats_S, feats_T), full)


def test_zero_nodes_give_finite_loss_and_gradient():
    feats_S = torch.zeros(1, 3, 4, 4, requires_grad=True)
    feats_T = torch.randn(1, 3, 4, 4)
    for connection_range in (None, 1):
        loss = PairWiseAffinityLoss(connection_range=connection_range)(feats_S,
                                                                       feats_T)
        loss.backward()
        assert torch.isfinite(loss) and loss > 0
        assert torch.isfinite(feats_S.grad).all()


def test_gradient_reaches_student_only():
    for connection_range in (None, 2):
        feats_S = torch.randn(2, 4, 6, 6, requires_grad=True)
        feats_T = torch.randn(2, 8, 6, 6, requires_grad=True)
        PairWiseAffinityLoss(
            node_size=2, connection_range=connection_range,
            pool='max')(feats_S, feats_T).backward()
        assert feats_S.grad is not None and feats_S.grad.abs().sum() > 0
        assert feats_T.grad is None


def test_resize_student_equals_manual_interpolation():
    torch.manual_seed(3)
    feats_S = torch.randn(2, 3, 4, 5)
    feats_T = torch.randn(2, 6, 7, 9)
    manual = F.interpolate(
        feats_S, size=(7, 9), mode='bilinear', align_corners=False)
    for connection_range in (None, 1):
        kwargs = dict(node_size=2, connection_range=connection_range)
        resized = PairWiseAffinityLoss(resize_student=True, **kwargs)
        assert torch.allclose(
            resized(feats_S, feats_T),
            PairWiseAffinityLoss(**kwargs)(manual, feats_T))


def test_spatial_mismatch_raises_with_both_shapes():
    with pytest.raises(ValueError) as err:
        PairWiseAffinityLoss()(torch.randn(2, 3, 4, 5),
                               torch.randn(2, 6, 7, 9))
    assert '(2, 3, 4, 5)' in str(err.value)
    assert '(2, 6, 7, 9)' in str(err.value)
    assert 'resize_student=True' in str(err.value)


@pytest.mark.parametrize('connection_range', [None, 1])
@pytest.mark.parametrize('pool', ['avg', 'max'])
def test_matched_node_grids_pool_each_map_over_the_same_image_area(
        connection_range, pool):
    """A student map at half the teacher's size: the teacher's 4x2-pixel
    nodes and the student's 2x1-pixel nodes give one 3x4 node grid, each
    node the same image area; the teacher's 10 rows are not a multiple of
    4, so the border row is a partial patch in both."""
    torch.manual_seed(5)
    feats_S = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    feats_T = torch.randn(2, 6, 10, 8, dtype=torch.float64)
    loss = PairWiseAffinityLoss(
        node_size=(4, 2),
        connection_range=connection_range,
        pool=pool,
        loss_weight=3.0,
        match_node_grids=True)
    nodes_S, coords = reference_nodes(feats_S, (2, 1), pool)
    nodes_T, coords_T = reference_nodes(feats_T, (4, 2), pool)
    assert torch.equal(coords, coords_T)  # one grid: 3x4 nodes
    aff_S = nodes_S.transpose(1, 2) @ nodes_S
    aff_T = nodes_T.transpose(1, 2) @ nodes_T
    mask = torch.ones(len(coords), len(coords))
    if connection_range is not None:
        chebyshev = (coords[:, None] - coords[None]).abs().amax(dim=-1)
        mask = (chebyshev <= connection_range).float()
    expected = 3.0 * ((
        (aff_S - aff_T)**2 * mask).sum(dim=(1, 2)) / mask.sum()).mean()
    assert loss.student_node_size((5, 4), (10, 8)) == (2, 1)
    assert torch.allclose(
        loss(feats_S, feats_T).double(), expected, rtol=1e-5, atol=1e-7)
    # Maps of one size: node_size on both, as without the option.
    same = torch.randn(2, 3, 10, 8)
    assert torch.equal(
        loss(same, feats_T.float()),
        PairWiseAffinityLoss(
            node_size=(4, 2),
            connection_range=connection_range,
            pool=pool,
            loss_weight=3.0)(same, feats_T.float()))


def test_matched_node_grids_refuse_fractional_student_nodes():
    loss = PairWiseAffinityLoss(node_size=1, match_node_grids=True)
    with pytest.raises(ValueError) as err:
        loss(torch.randn(2, 3, 4, 8), torch.randn(2, 6, 8, 16))
    assert '0.5x0.5-pixel nodes on the 4x8 student map' in str(err.value)
    assert 'node_size=2' in str(err.value)
    # A ratio that is not whole: 13 rows against 64.
    with pytest.raises(ValueError, match='not whole pixels'):
        PairWiseAffinityLoss(
            node_size=2, match_node_grids=True)(torch.randn(2, 3, 13, 8),
                                                torch.randn(2, 6, 64, 16))
    with pytest.raises(ValueError, match='set one of them'):
        PairWiseAffinityLoss(resize_student=True, match_node_grids=True)


def test_global_graph_on_a_256x256_map_never_builds_nxn():
    # 65,536 nodes: an n x n float32 affinity would need 16 GiB per sample.
    torch.manual_seed(4)
    feats_S = torch.randn(2, 64, 256, 256)
    feats_T = torch.randn(2, 64, 256, 256)
    meter = MemoryMeter(torch.device('cpu'))
    if not meter.method.startswith('VmHWM'):
        pytest.skip('needs a resettable peak RSS (/proc/self/clear_refs)')
    meter.start(settle=True)
    loss = PairWiseAffinityLoss()(feats_S, feats_T)
    _, extra_mib = meter.stop()
    # The inputs are 32 MiB each; the Gram form needs a few copies of them.
    assert extra_mib < 1024, f'{extra_mib:.0f} MiB above the start'
    assert torch.isfinite(loss) and loss > 0
    # Independent random 64-d unit vectors have cosine variance ~1/64, so
    # E[(a_S - a_T)^2] ~ 2/64 off the diagonal.
    assert loss.item() == pytest.approx(2 / 64, rel=0.05)


@pytest.mark.parametrize('kwargs, match', [
    (dict(pool='min'), 'pool'),
    (dict(node_size=0), 'node_size'),
    (dict(node_size=(2, )), 'node_size'),
    (dict(node_size=(2, 0)), 'node_size'),
    (dict(node_size=2.0), 'node_size'),
    (dict(node_size=True), 'node_size'),
    (dict(connection_range=0), 'connection_range'),
    (dict(connection_range=-1), 'connection_range'),
    (dict(connection_range=1.5), 'connection_range'),
])
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PairWiseAffinityLoss(**kwargs)


def test_node_size_accepts_int_tuple_and_list():
    assert PairWiseAffinityLoss(node_size=3).node_size == (3, 3)
    assert PairWiseAffinityLoss(node_size=(2, 3)).node_size == (2, 3)
    assert PairWiseAffinityLoss(node_size=[4, 1]).node_size == (4, 1)


def test_node_larger_than_map_gives_single_node():
    feats_S = torch.randn(2, 3, 3, 2)
    feats_T = torch.randn(2, 3, 3, 2)
    loss = PairWiseAffinityLoss(node_size=8)(feats_S, feats_T)
    # One node per sample: the only pair is (0, 0) with a = 1 on both sides.
    assert loss.item() == pytest.approx(0, abs=1e-6)
    assert math.isfinite(loss.item())
