# Copyright (c) mmskd contributors. All rights reserved.
"""Sequence samples: one gap, one augmentation for all frames, clear errors."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmskd.datasets  # noqa: F401
from mmskd.testing import DX, DY, LABELLED, REPO, write_cityscapes_sequences

SEQ_BASE = osp.join(REPO, 'configs/_base_/datasets/cityscapes-seq-512x1024.py')


@pytest.fixture(scope='module')
def seq_root(tmp_path_factory) -> str:
    return write_cityscapes_sequences(
        str(tmp_path_factory.mktemp('seq')), splits=('train', ))


def build(root: str, crop=(48, 96), **overrides):
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(SEQ_BASE).train_dataloader.dataset
    cfg.data_root = root
    cfg.pipeline[2].scale = (128, 64)
    cfg.pipeline[2].ratio_range = (1.0, 1.0)  # integer shifts stay exact
    cfg.pipeline[3].crop_size = crop
    cfg.update(overrides)
    # A scoped build: a global default scope would leak into later tests.
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(cfg)


def assert_same_up_to_hsv_rounding(moved: np.ndarray, shifted: np.ndarray):
    """The same content under the same photometric draw, up to OpenCV's
    rounding of uint8 BGR <-> HSV, which may depend on a pixel's place in
    its row (opencv-python 5.1): a few pixels may be off by one hue step,
    2 degrees, which moves a channel by at most 255 / 30 < 9 levels. A
    second draw would change almost every pixel."""
    difference = np.abs(moved.astype(int) - shifted.astype(int))
    assert (difference > 0).mean() <= 0.05
    assert difference.max() <= 8


def test_frames_share_gap_crop_flip_and_photometric_draw(seq_root):
    dataset = build(seq_root)
    np.random.seed(0)
    seen = set()
    for _ in range(12):
        sample = dataset[0]
        meta = sample['data_samples'].metainfo
        gap = meta['frame_offsets'][2]
        assert meta['frame_offsets'] == (-gap, 0, gap)
        assert meta['labelled_index'] == 1
        frames = sample['inputs'].numpy().reshape(3, 3, 48, 96)
        # Pixel (x, y) of frame t is at (x + k DX, y + k DY) of frame t + k;
        # a flip mirrors x, so the motion is -DX in the flipped frame.
        dx = -DX if meta['flip'] else DX
        for offset, frame in zip((-gap, gap), frames[[0, 2]]):
            sx, sy = offset * dx, offset * DY
            h, w = 48 - abs(sy), 96 - abs(sx)
            ys, xs = slice(max(0, -sy),
                           max(0, -sy) + h), slice(
                               max(0, -sx),
                               max(0, -sx) + w)
            yt, xt = slice(max(0, sy),
                           max(0, sy) + h), slice(max(0, sx),
                                                  max(0, sx) + w)
            assert_same_up_to_hsv_rounding(frames[1][:, ys, xs],
                                           frame[:, yt, xt])
        seen.add((gap, meta['flip']))
    assert {g for g, _ in seen} == {1, 2}
    assert {f for _, f in seen} == {True, False}
    assert sample['data_samples'].gt_sem_seg.shape == (48, 96)


def test_eval_offsets_serve_consecutive_frames_and_flow_files(tmp_path):
    root = write_cityscapes_sequences(
        str(tmp_path), splits=('val', ), flow_ext='.npy', num_snippets=1)
    dataset = build(
        root,
        eval_offsets=(0, 1, 2),
        data_prefix=dict(
            img_path='leftImg8bit/val',
            seg_map_path='gtFine/val',
            seq_path='leftImg8bit_sequence/val',
            flow_path='flow/val'),
        flow_suffix='.npy')
    info = dataset.get_data_info(0)
    assert info['frame_offsets'] == (0, 1, 2)
    assert info['flow_pairs'] == ((0, 1), (1, 2))
    assert [osp.basename(p) for p in info['flow_paths']] == [
        f'city_000000_{LABELLED:06d}_{LABELLED + 1:06d}.npy',
        f'city_000000_{LABELLED + 1:06d}_{LABELLED + 2:06d}.npy'
    ]
    assert np.load(info['flow_paths'][1])[0, 0].tolist() == [DX, DY]


def _copy(root: str, tmp_path) -> str:
    copy = str(tmp_path / 'copy')
    shutil.copytree(root, copy)
    return copy


def _sequence_file(root: str, frame: int) -> str:
    return osp.join(root, 'leftImg8bit_sequence/train/city',
                    f'city_000001_{frame:06d}_leftImg8bit.png')


def test_missing_neighbour_frame_is_named(seq_root, tmp_path):
    root = _copy(seq_root, tmp_path)
    os.remove(_sequence_file(root, 16))  # the snippet now starts at 17
    build(root)  # gaps 1, 2 need frames 17..21 only
    with pytest.raises(FileNotFoundError, match='city_000001_000016'):
        build(root, gaps=(1, 2, 3))


def test_sequence_folder_with_a_gap_is_named(seq_root, tmp_path):
    root = _copy(seq_root, tmp_path)
    os.remove(_sequence_file(root, 21))
    with pytest.raises(ValueError, match='gap.*city_000001_000021'):
        build(root)


def test_missing_flow_file_is_named(tmp_path):
    root = write_cityscapes_sequences(
        str(tmp_path), splits=('train', ), flow_ext='.flo', num_snippets=1)
    os.remove(osp.join(root, 'flow/train/city/city_000000_000019_000017.flo'))
    with pytest.raises(FileNotFoundError, match='000019_000017.flo'):
        build(
            root,
            data_prefix=dict(
                img_path='leftImg8bit/train',
                seg_map_path='gtFine/train',
                seq_path='leftImg8bit_sequence/train',
                flow_path='flow/train'))
