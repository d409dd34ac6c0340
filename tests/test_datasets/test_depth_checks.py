# Copyright (c) mmskd contributors. All rights reserved.
"""NYU depth maps checked when the dataset loads: uint16 millimetres pass;
metres, 0.1 mm, maps without depth and missing files are refused with the
file, the values found and the expected layout."""
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

import mmskd  # noqa: F401  (registers the dataset)
from mmskd.testing import REPO, write_nyu_like

NYU_BASE = osp.join(REPO, 'configs/_base_/datasets/nyu-480x480.py')


def nyu(root: str, split: str = 'train', **overrides):
    """The NYU base config's dataset of ``split`` on ``root``."""
    cfg = Config.fromfile(NYU_BASE)
    loader = cfg.train_dataloader if split == 'train' else cfg.val_dataloader
    dataset = loader.dataset
    dataset.update(data_root=root, **overrides)
    # A scoped build: a global default scope would leak into later tests.
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(dataset)


def depth_paths(root: str, split: str = 'train') -> list:
    return sorted(glob.glob(osp.join(root, 'annotations', split, '*.png')))


def rewrite_depths(root: str, scale: float) -> list:
    """Every train depth map (mm) rewritten times ``scale`` as uint16."""
    paths = depth_paths(root)
    for path in paths:
        millimetres = cv2.imread(path, cv2.IMREAD_UNCHANGED).astype(float)
        stored = np.clip(np.round(millimetres * scale), 0, 65535)
        assert cv2.imwrite(path, stored.astype(np.uint16))
    return paths


@pytest.fixture
def root(tmp_path) -> str:
    return write_nyu_like(str(tmp_path), num_images=3, height=24, width=32)


def test_millimetres_pass_in_both_splits(root):
    train, test = nyu(root), nyu(root, 'test')
    assert type(train).__name__ == 'CheckedNYUDataset'
    assert len(train) == len(test) == 3
    assert train.check_depths == 16 and train.median_range == (0.4, 10.0)
    depth = train[0]['data_samples'].gt_depth_map.data
    assert 0.5 < depth[depth > 0].min() and depth.max() < 10.0


def test_depths_in_metres_are_refused(root):
    paths = rewrite_depths(root, 1e-3)
    with pytest.raises(ValueError) as error:
        nyu(root)
    message = str(error.value)
    assert message.startswith(
        f'CheckedNYUDataset: depth map {paths[0]} holds valid (non-zero) '
        'values ')
    median = re.search(
        r'with median (\d+), (\S+) m with '
        r'depth_rescale_factor=0.001', message)
    assert median and 1 <= int(median.group(1)) <= 9
    assert float(median.group(2)) < 0.01
    assert 'metres' in message and '* 1000' in message  # the fix
    assert 'uint16 PNG depth maps in millimetres (0 = no depth, indoor ' \
           'range ~500-10000)' in message


def test_depths_in_tenths_of_a_millimetre_are_refused(root):
    paths = rewrite_depths(root, 10)
    with pytest.raises(ValueError) as error:
        nyu(root)
    message = str(error.value)
    assert message.startswith(f'CheckedNYUDataset: depth map {paths[0]}')
    median = re.search(r'with median (\d+), (\S+) m', message)
    assert int(median.group(1)) > 10000 and float(median.group(2)) > 10
    assert 'plausible median is 0.4-10 m' in message
    assert '0.1 mm' in message and 'depth_rescale_factor' in message


def test_median_range_is_an_argument(root):
    """Another scene (e.g. outdoors) sets its own plausible medians."""
    rewrite_depths(root, 10)
    assert len(nyu(root, median_range=(1.0, 100.0))) == 3


def test_maps_without_depth_are_refused(root):
    for path in depth_paths(root):
        cv2.imwrite(path, np.zeros((4, 4), np.uint16))
    with pytest.raises(
            ValueError,
            match=r'every depth map read \(3, e.g. '
            r'.*\) is all 0 \(no depth\)'):
        nyu(root)


def test_one_map_without_depth_passes(root):
    cv2.imwrite(depth_paths(root)[1], np.zeros((4, 4), np.uint16))
    assert len(nyu(root)) == 3


def test_missing_depth_map_is_refused_by_name(root):
    path = depth_paths(root, 'test')[2]
    os.remove(path)
    with pytest.raises(
            FileNotFoundError,
            match=r'1 image\(s\) of .*images/test have no depth '
            f'map, e.g. {re.escape(path)}. Expected images/'):
        nyu(root, 'test')


def test_8_bit_depth_map_is_refused_at_load(root):
    path = depth_paths(root)[0]
    cv2.imwrite(path, np.full((4, 4), 30, np.uint8))
    with pytest.raises(
            ValueError,
            match=re.escape(path) + ' must be a single-channel '
            '16-bit image.*decodes to uint8 of shape'):
        nyu(root)


def test_the_sample_and_check_depths_all(root):
    rewrite_depths(root, 1e-3)  # every map in metres
    paths = depth_paths(root)
    for path in paths[::2]:  # 0 and 2 back to a valid millimetre map
        cv2.imwrite(path, np.full((4, 4), 2500, np.uint16))
    assert len(nyu(root, check_depths=2)) == 3  # reads 0 and 2
    with pytest.raises(ValueError, match=re.escape(paths[1])):
        nyu(root, check_depths='all')
    assert len(nyu(root, check_depths=0)) == 3


def test_bad_check_depths_names_the_fix(root):
    with pytest.raises(
            ValueError,
            match=r"check_depths must be .*or 'all', "
            "got 'everything'"):
        nyu(root, check_depths='everything')


def test_unlabelled_base_checks_the_labelled_member(root):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/nyu-unl-480x480.py'))
    labelled, frames = cfg.train_dataloader.dataset.datasets
    assert labelled.type == 'CheckedNYUDataset'
    assert frames.type == 'UnlabelledImageDataset'
    assert cfg.test_dataloader.dataset.type == 'CheckedNYUDataset'
