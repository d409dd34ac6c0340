# Copyright (c) mmskd contributors. All rights reserved.
"""The fusion configs build the graphs of the footnotes of the SKD thesis's
Table 3.2, and their connection counts are the table's.

Each pair-wise graph is read from the loaded leaf config (its node size,
its connection range and the module its recorder records), and the
recorded module's stride is measured on the real student and teacher.
The expected graphs are written from the footnotes: for a fused feature of
H' x W' (stride 8 in these D8 networks),

1. alpha-fusion: 2x2-pixel nodes, connection ranges W'/2 x H'/2 (every
   node), W'/4 x H'/4 and W'/8 x H'/8 nodes;
2. Beta-fusion: 2x2, 4x4 and 8x8-pixel nodes, fully connected;
3. Feature-fusion: features of H' x W', 2H' x 2W' and 4H' x 4W' with 2x2,
   4x4 and 8x8-pixel nodes, fully connected.
"""
import functools
import os.path as osp
from typing import List, Optional, Tuple

import pytest
import torch
from mmengine.config import Config

from mmskd.models.utils import load_model_cfg
from mmskd.registry import MODELS
from mmskd.testing import CONFIG_ROOT

PAIR = 'pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
FUSED_STRIDE = 8
# (stride of the feature, node side in pixels, connection range as a
# fraction (w, h) of the fused feature's W' x H' in nodes; None: all nodes)
ALL = None
FOOTNOTES = {
    'alpha': [(8, 2, ALL), (8, 2, (4, 4)), (8, 2, (8, 8))],
    'beta': [(8, 2, ALL), (8, 4, ALL), (8, 8, ALL)],
    'feature': [(8, 2, ALL), (4, 4, ALL), (2, 8, ALL)],
}
# Table 3.2's connection counts, in units of (W'H')^2: every node with its
# full range, as for a node away from the map's borders.
CONNECTIONS = {'alpha': 21 / 2**8, 'beta': 273 / 2**12, 'feature': 3 / 2**4}
# An input whose sides every stride divides; strides are ratios of sizes.
PROBE = (64, 128)


def leaf(fusion: str) -> Config:
    return Config.fromfile(
        osp.join(CONFIG_ROOT, 'skd', f'skd_pi_pa_{fusion}_fusion_{PAIR}'))


def crop_size(cfg: Config) -> Tuple[int, int]:
    """(h, w) of the training crop."""
    crops = [t for t in cfg.train_pipeline if t['type'] == 'RandomCrop']
    return tuple(crops[0]['crop_size'])


@functools.lru_cache(maxsize=None)
def built(model_cfg: str) -> torch.nn.Module:
    """The model of a ``cfg_path`` of the mm model zoo (no weights)."""
    return MODELS.build(load_model_cfg(dict(cfg_path=model_cfg))).eval()


def stride(model_cfg: str, source: str) -> int:
    """The stride of a module's output in the built model.

    Args:
        model_cfg (str): A ``cfg_path`` of the mm model zoo.
        source (str): The module's name.

    Returns:
        int: The input height over the output height.
    """
    heights = []
    hook = built(model_cfg).get_submodule(source).register_forward_hook(
        lambda module, args, output: heights.append(output.shape[-2]))
    with torch.no_grad():
        built(model_cfg)(torch.zeros(1, 3, *PROBE), mode='tensor')
    hook.remove()
    assert PROBE[0] % heights[0] == 0
    return PROBE[0] // heights[0]


def graphs(cfg: Config) -> List[Tuple[int, int, Optional[int]]]:
    """(stride, node side, Chebyshev radius) of each pair-wise graph, with
    the stride measured in both networks (they must agree)."""
    distiller = cfg.model.distiller
    found = []
    for name, loss in distiller.distill_losses.items():
        if loss['type'] != 'PairWiseAffinityLoss':
            continue
        mapping = distiller.loss_forward_mappings[name]
        measured = set()
        for role, recorders, model in (
                ('preds_S', distiller.student_recorders,
                 cfg.model.architecture),
                ('preds_T', distiller.teacher_recorders, cfg.model.teacher)):
            source = recorders[mapping[role]['recorder']]['source']
            measured.add(stride(model['cfg_path'], source))
        assert len(measured) == 1, f'{name}: strides {measured} differ'
        assert loss['node_size'] in (2, 4, 8) and loss['pool'] == 'avg'
        found.append((measured.pop(), loss['node_size'],
                      loss['connection_range']))
    return ordered(found)


def ordered(graphs: List[tuple]) -> List[tuple]:
    """Graphs in one order: by stride, node side, then range (all last)."""
    return sorted(
        graphs,
        key=lambda graph: (graph[0], graph[1], graph[2] is None, graph[2]
                           or 0))


def nearest_radius(nodes: float) -> int:
    """The Chebyshev radius r whose (2r + 1)^2 square is nearest ``nodes``
    (a node connects to the nodes nearest it, by Chebyshev distance)."""
    return min(range(1, 64), key=lambda r: abs((2 * r + 1)**2 - nodes))


@pytest.mark.parametrize('fusion', sorted(FOOTNOTES))
def test_graphs_follow_the_footnote(fusion):
    cfg = leaf(fusion)
    height, width = crop_size(cfg)
    fused_w, fused_h = width // FUSED_STRIDE, height // FUSED_STRIDE
    expected = []
    for stride, node, fraction in FOOTNOTES[fusion]:
        radius = None if fraction is ALL else nearest_radius(
            fused_w / fraction[0] * fused_h / fraction[1])
        expected.append((stride, node, radius))
    assert graphs(cfg) == ordered(expected)


@pytest.mark.parametrize('fusion', sorted(FOOTNOTES))
def test_nominal_connection_count_is_the_tables(fusion):
    cfg = leaf(fusion)
    height, width = crop_size(cfg)
    total = 0
    for stride, node, radius in graphs(cfg):
        nodes = (height // stride // node) * (width // stride // node)
        neighbours = nodes if radius is None else (2 * radius + 1)**2
        total += nodes * neighbours
    fused_area = (height // FUSED_STRIDE) * (width // FUSED_STRIDE)
    # The squares approximate the footnote's ranges (529 for 512 nodes);
    # the loss clips them at the map's borders, as the table does not.
    assert total == pytest.approx(
        CONNECTIONS[fusion] * fused_area**2, rel=0.01)
