# Copyright (c) mmskd contributors. All rights reserved.
"""Writing samples where mmseg's dataset classes look for them."""
import os.path as osp

import cv2
import numpy as np
from mmseg.datasets import CityscapesDataset

from mmskd.datasets import (cityscapes_paths, write_cityscapes_split,
                            write_image_and_labels)


def test_cityscapes_paths_follow_the_cityscapes_names(tmp_path):
    image, label = cityscapes_paths(str(tmp_path), 'val', 12)
    assert osp.relpath(image, tmp_path) == \
        'leftImg8bit/val/city/city_000012_000019_leftImg8bit.png'
    assert osp.relpath(label, tmp_path) == \
        'gtFine/val/city/city_000012_000019_gtFine_labelTrainIds.png'


def test_written_split_reads_back_in_cityscapes_dataset(tmp_path):
    rng = np.random.default_rng(0)
    samples = [(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8),
                rng.integers(0, 19, (6, 8), dtype=np.uint8)) for _ in range(3)]
    assert write_cityscapes_split(str(tmp_path), 'train', iter(samples)) == 3
    dataset = CityscapesDataset(
        data_root=str(tmp_path),
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=[],
        lazy_init=False)
    assert len(dataset) == 3
    infos = sorted((dataset.get_data_info(index) for index in range(3)),
                   key=lambda info: info['img_path'])
    for info, (image, labels) in zip(infos, samples):
        # PNG is lossless: the files hold exactly the arrays.
        assert np.array_equal(cv2.imread(info['img_path']), image)
        assert np.array_equal(
            cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED), labels)


def test_image_without_labels_creates_its_folder(tmp_path):
    path = str(tmp_path / 'a' / 'b' / 'image.png')
    image = np.full((2, 3, 3), 7, np.uint8)
    write_image_and_labels(path, image)
    assert np.array_equal(cv2.imread(path), image)
