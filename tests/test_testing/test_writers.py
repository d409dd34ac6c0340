# Copyright (c) mmskd contributors. All rights reserved.
"""The generated datasets of mmskd.testing, read by mmseg's and mmdet's own
dataset classes."""
import json

import cv2
import numpy as np
from mmseg.datasets import ADE20KDataset, CityscapesDataset

from mmskd.testing import (write_ade20k_like, write_cityscapes_like,
                           write_coco_like)


def seg_dataset(cls, root: str, images: str, labels: str, **kwargs):
    return cls(
        data_root=root,
        data_prefix=dict(img_path=images, seg_map_path=labels),
        pipeline=[],
        lazy_init=False,
        **kwargs)


def test_cityscapes_like_labels_are_train_ids(tmp_path):
    root = write_cityscapes_like(
        str(tmp_path), splits=('val', ), num_images=3, height=32, width=48)
    dataset = seg_dataset(CityscapesDataset, root, 'leftImg8bit/val',
                          'gtFine/val')
    assert len(dataset) == 3
    labels = cv2.imread(
        dataset.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert labels.shape == (32, 48)
    values = set(np.unique(labels).tolist())
    assert 255 in values and max(values - {255}) < 19


def test_ade20k_like_labels_shift_by_one(tmp_path):
    root = write_ade20k_like(
        str(tmp_path), splits=('train', ), num_images=2, num_classes=3)
    dataset = seg_dataset(ADE20KDataset, root, 'images/training',
                          'annotations/training')
    assert len(dataset) == 2
    assert dataset.get_data_info(0)['reduce_zero_label']
    labels = cv2.imread(
        dataset.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    # ADE20K ids: 0 ("other", the ignored pixels) and 1..3 for 3 classes.
    assert set(np.unique(labels).tolist()) <= {0, 1, 2, 3}
    assert 0 in labels


def test_coco_like_boxes_lie_in_the_images(tmp_path):
    from mmdet.datasets import CocoDataset
    root = write_coco_like(str(tmp_path), num_train=2, num_val=1, num_boxes=3)
    with open(tmp_path / 'annotations' / 'instances_train2017.json') as file:
        instances = json.load(file)
    assert len(instances['categories']) == 80
    assert [image['id'] for image in instances['images']] == [1, 2]
    assert len(instances['annotations']) == 6
    for annotation in instances['annotations']:
        x, y, w, h = annotation['bbox']
        assert 0 <= x and x + w <= 128 and 0 <= y and y + h <= 96
        assert annotation['area'] == w * h
    dataset = CocoDataset(
        data_root=root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=[],
        lazy_init=False)
    assert len(dataset) == 2
    assert len(dataset.get_data_info(0)['instances']) == 3
