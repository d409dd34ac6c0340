# Copyright (c) mmskd contributors. All rights reserved.
"""Write a small dataset in the layout of Pascal VOC 2012 with SBD's
augmented labels, as mmseg's ``pascal_voc12_aug.py`` reads it.

``PascalVOCDataset`` lists the names of ``ImageSets/Segmentation/{split}.txt``
and reads ``JPEGImages/{name}.jpg`` with ``SegmentationClass/{name}.png``
(train, val) or ``SegmentationClassAug/{name}.png`` (aug): single-channel
labels 0-20 (0 = background) and 255 on object borders. Test helper, like
tests/depth_data.py.
"""
import os
import os.path as osp

import cv2
import numpy as np

SPLITS = dict(train='SegmentationClass', val='SegmentationClass',
              aug='SegmentationClassAug')


def _object_scene(rng: np.random.Generator, size: int) -> tuple:
    """A background with one object of a random class and its border."""
    labels = np.zeros((size, size), np.uint8)
    cls = int(rng.integers(1, 21))
    top, left = rng.integers(0, size // 2, 2)
    labels[top:top + size // 2, left:left + size // 2] = cls
    border = cv2.dilate(labels, np.ones((3, 3), np.uint8)) != \
        cv2.erode(labels, np.ones((3, 3), np.uint8))
    image = np.where(labels[..., None] > 0, 11 * cls, 200).astype(np.uint8)
    image = np.repeat(image, 3, axis=2) + rng.integers(0, 20, (size, size, 3),
                                                       dtype=np.uint8)
    labels[border] = 255
    return image, labels


def write_voc_aug_like(root: str, num_images: int = 2, size: int = 48,
                       seed: int = 0) -> str:
    """Write a VOC 2012 aug-layout dataset with train, aug and val splits.

    Args:
        root (str): The dataset root to create (mmseg's
            ``data/VOCdevkit/VOC2012``).
        num_images (int): Images per split.
        size (int): Image height and width.
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    lists = osp.join(root, 'ImageSets', 'Segmentation')
    os.makedirs(lists, exist_ok=True)
    os.makedirs(osp.join(root, 'JPEGImages'), exist_ok=True)
    for split, label_dir in SPLITS.items():
        os.makedirs(osp.join(root, label_dir), exist_ok=True)
        names = [f'2012_{split}_{index:04d}' for index in range(num_images)]
        for name in names:
            image, labels = _object_scene(rng, size)
            cv2.imwrite(osp.join(root, 'JPEGImages', f'{name}.jpg'), image)
            cv2.imwrite(osp.join(root, label_dir, f'{name}.png'), labels)
        with open(osp.join(lists, f'{split}.txt'), 'w') as file:
            file.write('\n'.join(names) + '\n')
    return root
