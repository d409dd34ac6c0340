# Copyright (c) mmskd contributors. All rights reserved.
"""The single-model depth configs, their data path and their metric.

On a generated NYU-layout dataset (``mmskd.testing.write_nyu_like``: 16-bit
depth PNGs with invalid zero pixels): the 16-bit check of the depth loader,
mmseg 1.2.2's ``DepthMetric`` defects and their workaround, every single-model
``configs/depth`` leaf (``depthbin_*``) building its full-size model, and two
of them training for 2 iterations through ``tools/train.py`` and validating,
then testing through ``tools/test.py``, with mmseg's depth metrics in the log.
"""
import glob
import json
import math
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.evaluation.metrics import DepthMetric
from mmseg.registry import DATASETS, METRICS, MODELS

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
import mmskd.datasets.transforms  # noqa: F401
import mmskd.evaluation  # noqa: F401
from mmskd.datasets.transforms import LoadUInt16DepthAnnotation
from mmskd.testing import (CONFIG_ROOT, HEIGHT, WIDTH, assert_amp_wrappers,
                           build_runner, logged_scalars, tiny_depth_options,
                           write_nyu_like)

# The single-model configs; configs/depth/*_depthbin_*.py distil them
# (test_depth_distill_configs.py).
DEPTH_CONFIGS = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, 'depth', 'depthbin_*.py')))
R18 = 'depth/depthbin_r18-d8_4xb3-20k_nyu-480x480.py'
MV2 = 'depth/depthbin_m-v2-d8_4xb3-20k_nyu-480x480.py'
METRIC_NAMES = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log',
                'log10', 'silog')


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory) -> str:
    return write_nyu_like(
        str(tmp_path_factory.mktemp('nyu')), height=HEIGHT, width=WIDTH)


def written_depth(root: str, split: str) -> np.ndarray:
    """The first depth PNG of a split, as written (uint16 millimetres)."""
    path = sorted(glob.glob(osp.join(root, 'annotations', split, '*.png')))[0]
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


def test_generated_data_loads_through_the_config_pipeline(nyu_root):
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, R18))
    dataset_cfg = cfg.val_dataloader.dataset
    dataset_cfg.data_root = nyu_root
    dataset_cfg.pipeline[1].scale = (WIDTH, HEIGHT)
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 2
    sample = dataset[0]['data_samples']
    assert sample.category_id == 8  # bedroom_0001.jpg, by NYUDataset's names
    depth = sample.gt_depth_map.data[0].numpy()
    stored = written_depth(nyu_root, 'test')
    assert stored.dtype == np.uint16 and (stored == 0).mean() > 0.1
    assert np.array_equal(depth == 0, stored == 0)
    assert np.allclose(depth, stored * 1e-3)
    assert 0.5 < depth[depth > 0].min() and depth.max() < 10.0


@pytest.fixture
def bad_depth_maps(nyu_root, tmp_path) -> dict:
    """The first test depth map rewritten as 8-bit and as 3-channel 16-bit."""
    stored = written_depth(nyu_root, 'test')
    paths = dict(
        eight_bit=str(tmp_path / 'kitchen_0008.png'),
        rgb=str(tmp_path / 'kitchen_0009.png'))
    cv2.imwrite(paths['eight_bit'], (stored // 40).astype(np.uint8))
    cv2.imwrite(paths['rgb'], np.stack([stored] * 3, axis=-1))
    return paths


@pytest.mark.parametrize('kind,decoded', [('eight_bit', 'uint8'),
                                          ('rgb', r'uint16 of shape \(48, '
                                           r'64, 3\)')])
def test_depth_map_that_is_not_16_bit_is_refused_by_name(
        bad_depth_maps, kind, decoded):
    path = bad_depth_maps[kind]
    loader = LoadUInt16DepthAnnotation(depth_rescale_factor=1e-3)
    with pytest.raises(ValueError, match=re.escape(path) + '.*' + decoded):
        loader(dict(depth_map_path=path, seg_fields=[]))


def test_mmseg_loader_takes_an_8_bit_map_silently(bad_depth_maps):
    """What the 16-bit check prevents: depths of at most 0.255 m."""
    results = LoadDepthAnnotation(depth_rescale_factor=1e-3)(
        dict(depth_map_path=bad_depth_maps['eight_bit'], seg_fields=[]))
    assert results['gt_depth_map'].max() <= 0.255


def test_16_bit_map_loads_as_mmseg_loads_it(nyu_root):
    path = sorted(glob.glob(osp.join(nyu_root, 'annotations/train/*.png')))[0]
    ours = LoadUInt16DepthAnnotation(depth_rescale_factor=1e-3)(
        dict(depth_map_path=path, seg_fields=[]))
    theirs = LoadDepthAnnotation(depth_rescale_factor=1e-3)(
        dict(depth_map_path=path, seg_fields=[]))
    assert ours['gt_depth_map'].dtype == np.float32
    assert np.array_equal(ours['gt_depth_map'], theirs['gt_depth_map'])
    assert ours['seg_fields'] == ['gt_depth_map']
    assert ours['depth_rescale_factor'] == 1e-3


def depth_sample(gt: np.ndarray, pred: np.ndarray) -> dict:
    """A model output as DepthMetric.process reads it."""
    return dict(
        gt_depth_map=dict(data=torch.tensor(gt, dtype=torch.float32)[None]),
        pred_depth_map=dict(
            data=torch.tensor(pred, dtype=torch.float32)[None]))


GT = np.array([[1.0, 2.0], [0.0, 4.0]])  # one invalid pixel
PRED = np.array([[1.5, 2.0], [9.0, 2.0]])
# On the three valid pixels: |pred - gt| / gt = 0.5, 0, 0.5;
# (pred - gt)^2 = 0.25, 0, 4; max(gt/pred, pred/gt) = 1.5, 1, 2.
BY_HAND = dict(abs_rel=1.0 / 3, rmse=math.sqrt(4.25 / 3), d1=1.0 / 3)

# mmseg's own metric, expected to fail while mmseg has the defect.
STOCK_METRIC = pytest.param(
    'DepthMetric',
    marks=pytest.mark.xfail(
        raises=TypeError,
        strict=True,
        reason='mmseg 1.2.2: isinstance(depth_metrics, [tuple, list])'))


@pytest.mark.parametrize('type_name', ['PatchedDepthMetric', STOCK_METRIC])
def test_a_metric_list_selects_the_metrics(type_name):
    metric = METRICS.build(
        dict(type=type_name, depth_metrics=['abs_rel', 'rmse', 'd1']))
    metric.process({}, [depth_sample(GT, PRED)])
    values = metric.compute_metrics(metric.results)
    assert set(values) == set(BY_HAND)
    for name, value in BY_HAND.items():
        assert math.isclose(values[name], value, rel_tol=1e-6), name


def test_default_metric_reports_every_depth_metric():
    metric = METRICS.build(dict(type='PatchedDepthMetric'))
    metric.process({}, [depth_sample(GT, PRED)])
    assert tuple(metric.compute_metrics(metric.results)) == METRIC_NAMES


@pytest.mark.parametrize('depth_metrics,error,match', [
    (['rmse', 'delta1'], ValueError, "'delta1'.*use a non-empty selection"),
    ([], ValueError, 'non-empty selection'),
    ('rmse', TypeError, 'list or tuple'),
])
def test_bad_metric_lists_are_named(depth_metrics, error, match):
    with pytest.raises(error, match=match):
        METRICS.build(
            dict(type='PatchedDepthMetric', depth_metrics=depth_metrics))


def test_image_without_evaluable_pixels_is_left_out():
    empty = np.zeros_like(GT)
    stock = DepthMetric()
    stock.process({}, [depth_sample(GT, PRED), depth_sample(empty, PRED)])
    assert math.isnan(stock.compute_metrics(stock.results)['rmse'])

    metric = METRICS.build(dict(type='PatchedDepthMetric'))
    metric.process({}, [depth_sample(GT, PRED), depth_sample(empty, PRED)])
    values = metric.compute_metrics(metric.results)
    assert math.isclose(values['rmse'], BY_HAND['rmse'], rel_tol=1e-6)

    nothing = METRICS.build(dict(type='PatchedDepthMetric'))
    nothing.process({}, [depth_sample(empty, PRED)])
    with pytest.raises(ValueError, match='none of the 1 images'):
        nothing.compute_metrics(nothing.results)


def test_discovers_the_depth_configs():
    assert set(DEPTH_CONFIGS) == {
        'depth/depthbin_r101-d8_4xb3-20k_nyu-480x480.py', R18, MV2
    }


@pytest.mark.parametrize('name', DEPTH_CONFIGS)
def test_config_builds_its_full_size_depth_model(name):
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    assert cfg.train_dataloader.dataset.type == 'CheckedNYUDataset'
    assert cfg.train_dataloader.dataset.pipeline[1].type == \
        'LoadUInt16DepthAnnotation'
    assert cfg.val_evaluator.type == 'PatchedDepthMetric'
    cfg.model.pretrained = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'PatchedDepthEstimator'
    head = model.decode_head
    assert type(head).__name__ == 'DepthBinHead'
    assert head.conv_seg.out_channels == 150 and model.out_channels == 1
    assert model.data_preprocessor.seg_pad_val == 0
    assert not model.with_auxiliary_head


def val_metrics(work_dir: str) -> dict:
    """The last validation record of a run's scalars.json."""
    [scalars] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as file:
        records = [json.loads(line) for line in file]
    return [record for record in records if 'rmse' in record][-1]


def assert_depth_metrics_printed(log: str) -> None:
    """mmseg's DepthMetric table (its header row) is in the log."""
    header = re.compile(r'\|\s*' + r'\s*\|\s*'.join(METRIC_NAMES) + r'\s*\|')
    assert header.search(log), log[-3000:]


@pytest.mark.parametrize('name', [R18, MV2])
def test_student_trains_and_validates(name, nyu_root, fast_runner,
                                      tmp_path):
    """A student alone, in-process as ``tools/train.py`` runs it, with the
    depth metrics at validation (``tools/train.py`` and ``tools/test.py``
    on depth configs: test_depth_distill_configs.py)."""
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    cfg.merge_from_dict(
        tiny_depth_options(osp.join(CONFIG_ROOT, name), nyu_root))
    work_dir = str(tmp_path / 'work')
    runner = build_runner(cfg, name, work_dir)
    runner.train()
    train, _ = logged_scalars(runner.log_dir)
    assert math.isfinite(train['decode.loss_depth_bin'])
    values = val_metrics(work_dir)
    for metric in METRIC_NAMES:
        assert math.isfinite(values[metric]), (metric, values)
    [_] = glob.glob(osp.join(work_dir, 'best_rmse_iter_2.pth'))


def test_mobilenet_student_with_silog_under_amp(nyu_root, fast_runner,
                                                tmp_path):
    """The MobileNetV2 student with the SiLog term, in-process as
    ``tools/train.py --amp`` runs it (bf16 autocast on CPU)."""
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, MV2))
    cfg.merge_from_dict(
        tiny_depth_options(osp.join(CONFIG_ROOT, MV2), nyu_root))
    cfg.model.decode_head.loss_silog_weight = 1.0
    work_dir = str(tmp_path / 'work')
    runner = build_runner(cfg, MV2, work_dir, amp=True)
    runner.train()
    assert_amp_wrappers(runner)
    train, _ = logged_scalars(runner.log_dir)
    for key in ('decode.loss_depth_bin', 'decode.loss_silog'):
        assert math.isfinite(train[key]) and train[key] > 0, key
    values = val_metrics(work_dir)
    for metric in METRIC_NAMES:
        assert math.isfinite(values[metric]), (metric, values)
