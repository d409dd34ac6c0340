# Copyright (c) mmskd contributors. All rights reserved.
"""tools/analysis_tools/visualize_distill.py, mmskd.apis and
mmskd.visualization."""
import glob
import json
import os.path as osp
import sys
from unittest import mock

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.registry import MODELS, init_default_scope

from mmskd.apis import init_model
from mmskd.models.losses import ChannelWiseDivergence, PairWiseAffinityLoss
from mmskd.testing import (REPO, cli_options, run_command, tiny_cfg,
                           tiny_seg_options)
from mmskd.visualization import (DistillVisualizer, TermMaps, affinity_row,
                                 channel_distributions, channel_divergences,
                                 node_of, pick_term, top_channels)

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
PANELS = ('predictions', 'affinity', 'channels')
STEP = 7


@pytest.fixture(scope='module')
def skd_checkpoint(cityscapes_root, tmp_path_factory) -> str:
    """A tiny SKD model (student, teacher, connectors, discriminator) saved
    as a training run's checkpoint at iteration ``STEP``."""
    from mmseg.datasets import CityscapesDataset
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(SKD, cityscapes_root).model)
    path = str(tmp_path_factory.mktemp('skd') / 'iter_7.pth')
    # As in a training run's checkpoint: its message hub's history, which
    # torch >= 2.6 refuses to load by default.
    hub = dict(log_scalars={'train/loss': HistoryBuffer([1.0], [1])})
    meta = dict(
        iter=STEP,
        dataset_meta=dict(CityscapesDataset.METAINFO),
        message_hub=hub)
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return path


def val_images(root: str) -> list:
    return sorted(glob.glob(osp.join(root, 'leftImg8bit', 'val', '*', '*')))


def test_panels_are_written_and_not_constant(skd_checkpoint, cityscapes_root,
                                             tmp_path):
    images = val_images(cityscapes_root)[:2]
    out_dir = tmp_path / 'vis'
    options = tiny_seg_options(Config.fromfile(SKD), cityscapes_root)
    run_command([
        sys.executable, 'tools/analysis_tools/visualize_distill.py', SKD,
        skd_checkpoint, *images, '--out-dir',
        str(out_dir), '--pixel', '40', '50', '--channels', '0', '5',
        '--tile-size', '256', *cli_options(options)
    ])
    vis_dir = out_dir / 'vis_data' / 'vis_image'
    for image in images:
        stem = osp.splitext(osp.basename(image))[0]
        for panel in PANELS:
            path = vis_dir / f'{stem}_{panel}_{STEP}.png'
            assert path.is_file(), sorted(p.name for p in vis_dir.iterdir())
            drawn = cv2.imread(str(path))
            assert drawn.std() > 10, f'{path.name} is (nearly) constant'
            # Tiles are 256 pixels long on their longest side.
            assert max(drawn.shape[:2]) >= 256
        # Teacher and student rows of the graph are two different maps.
        affinity = cv2.imread(str(vis_dir / f'{stem}_affinity_{STEP}.png'))
        half = affinity.shape[1] // 2
        assert np.abs(affinity[:, :half - 2].astype(int) -
                      affinity[:, -(half - 2):].astype(int)).mean() > 5
        # Two channels, one row each.
        channels = cv2.imread(str(vis_dir / f'{stem}_channels_{STEP}.png'))
        assert channels.shape[0] > channels.shape[1] / 2

    with open(out_dir / 'summary.json') as file:
        summary = json.load(file)
    assert summary['step'] == STEP
    first = summary[images[0]]
    assert first['affinity']['term'] == 'loss_pa'  # the pair-wise term
    assert first['affinity']['node_size'] == [2, 2]
    # (40, 50) of a 64 x 128 image on the 4 x 8 grid of 2 x 2 nodes of the
    # 8 x 16 feature.
    assert first['affinity']['node'] == [2, 3]
    # SKD has no channel-wise term: the pixel-wise term's score maps.
    assert first['channels']['term'] == 'loss_pi'
    assert first['channels']['channels'] == [0, 5]
    assert set(first['predictions']['critic_scores']) == {
        'teacher', 'student'
    }
    with open(out_dir / 'vis_data' / 'scalars.json') as file:
        scalars = json.loads(file.readline())
    stem = osp.splitext(osp.basename(images[0]))[0]
    assert scalars[f'{stem}/critic_teacher'] == pytest.approx(
        first['predictions']['critic_scores']['teacher'])
    assert scalars['step'] == STEP


def test_affinity_row_is_a_row_of_the_explicit_graph():
    torch.manual_seed(0)
    feats = torch.randn(6, 7, 9)
    loss = PairWiseAffinityLoss(node_size=2, pool='max')
    nodes = F.normalize(
        F.max_pool2d(feats[None], 2, 2, ceil_mode=True), dim=1)[0]
    matrix = nodes.flatten(1).t() @ nodes.flatten(1)  # the n x n graph
    grid = nodes.shape[-2:]
    node = node_of((5.5, 2.0), (7, 9), grid)
    assert node == (3, 1)
    row = affinity_row(feats, node, loss.node_size, loss.pool)
    assert row.shape == grid
    index = node[0] * grid[1] + node[1]
    assert torch.allclose(row.flatten(), matrix[index], atol=1e-6)
    assert row[node] == pytest.approx(1.0)


def test_node_of_clips_to_the_grid():
    assert node_of((0, 0), (64, 128), (4, 8)) == (0, 0)
    assert node_of((63.9, 127.9), (64, 128), (4, 8)) == (3, 7)
    assert node_of((64, 200), (64, 128), (4, 8)) == (3, 7)


def test_channel_maps_are_what_the_channel_wise_term_compares():
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 5, 6, 8).unbind(0)
    tau, weight = 3.0, 2.0
    distributions = channel_distributions(teacher, (4, 1), tau)
    assert distributions.shape == (2, 6, 8)
    assert torch.allclose(distributions.sum(dim=(1, 2)), torch.ones(2))
    divergences = channel_divergences(student, teacher, range(5), tau)
    loss = ChannelWiseDivergence(tau=tau, loss_weight=weight)
    assert float(weight * divergences.mean()) == pytest.approx(
        float(loss(student[None], teacher[None])), rel=1e-5)
    assert (divergences > 0).all()
    assert channel_divergences(teacher, teacher, (0, 3), tau).abs().max() \
        < 1e-6
    means = torch.tensor([0.5, 3.0, -1.0, 2.0, 0.0])
    assert top_channels(means[:, None, None].expand(5, 2, 2), 2) == (1, 3)


def test_pick_term_prefers_the_type_and_falls_back():
    cwd = ChannelWiseDivergence()
    maps = dict(
        loss_cwd=TermMaps(cwd, torch.zeros(4, 2, 2), torch.zeros(8, 2, 2)),
        loss_pi=TermMaps(torch.nn.Identity(), torch.zeros(3, 2, 2),
                         torch.zeros(3, 2, 2)))
    assert pick_term(maps, ChannelWiseDivergence)[0] == 'loss_cwd'
    # Different channel counts cannot be compared channel by channel.
    assert pick_term(maps, ChannelWiseDivergence,
                     same_channels=True)[0] == 'loss_pi'
    assert pick_term(maps, PairWiseAffinityLoss)[0] == 'loss_cwd'
    assert pick_term({}, PairWiseAffinityLoss) is None


def test_heat_maps_share_one_colour_scale():
    visualizer = DistillVisualizer(name='test_shared_scale', tile_size=32)
    image = np.zeros((32, 32, 3), np.uint8)
    low, high = visualizer.draw_heatmaps(
        image, [torch.zeros(4, 4), torch.ones(4, 4)], alpha=1.0)
    # One map alone would be drawn in one colour whatever its value; on one
    # scale, 0 and 1 are the two ends of the colour map.
    assert (low == low[0, 0]).all() and (high == high[0, 0]).all()
    assert np.abs(low[0, 0].astype(int) - high[0, 0].astype(int)).sum() > 200


def test_init_model_restores_the_teacher_without_fetching_it(
        skd_checkpoint, cityscapes_root):
    """The checkpoint holds the teacher: a model-zoo teacher_ckpt (here an
    unreachable URL, as offline) is never read, nor warned about."""
    cfg = tiny_cfg(SKD, cityscapes_root)
    with mock.patch('mmskd.models.algorithms.teacher_checks.print_log'
                    ) as print_log:
        model = init_model(
            cfg,
            skd_checkpoint,
            cfg_options={'model.teacher_ckpt': 'http://127.0.0.1:9/t.pth'})
    assert not any('untrained' in call.args[0]
                   for call in print_log.call_args_list)
    saved = torch.load(skd_checkpoint, weights_only=False)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[f'teacher.{key}']), key
    assert model.checkpoint_meta['iter'] == STEP
    assert model.dataset_meta['classes'][0] == 'road'


def test_init_model_refuses_a_checkpoint_of_another_model(
        skd_checkpoint, cityscapes_root, tmp_path):
    saved = torch.load(skd_checkpoint, weights_only=False)['state_dict']
    student_only = str(tmp_path / 'student.pth')
    torch.save(
        dict(state_dict={
            key[len('architecture.'):]: value
            for key, value in saved.items()
            if key.startswith('architecture.')
        }), student_only)
    with pytest.raises(ValueError) as error:
        init_model(tiny_cfg(SKD, cityscapes_root), student_only)
    message = str(error.value)
    assert message.startswith(f'Checkpoint {student_only!r} does not fit '
                              "the model of 'the config': ")
    assert 'The model is a distillation algorithm, but the checkpoint ' \
        'holds one model' in message
