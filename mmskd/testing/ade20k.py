# Copyright (c) mmskd contributors. All rights reserved.
"""Write a small dataset in the on-disk layout of ADE20K (ADEChallenge2016)."""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

from .data import _random_scene

# Split -> (mmseg's folder, ADE20K's file-name part).
ADE20K_SPLITS = dict(train=('training', 'train'), val=('validation', 'val'))


def write_ade20k_like(root: str,
                      splits: Sequence[str] = ('train', 'val'),
                      num_images: int = 4,
                      height: int = 64,
                      width: int = 128,
                      num_classes: int = 150,
                      seed: int = 0) -> str:
    """Write an ADE20K-layout dataset that ``ADE20KDataset`` reads.

    Images go to ``images/{training,validation}/*.jpg`` and label maps to
    ``annotations/{training,validation}/*.png``. The label maps use ADE20K's
    own ids: 0 is "other" (ignored, since mmseg's ADE20K pipelines load
    annotations with ``reduce_zero_label=True``) and 1..150 are the classes,
    which that reduction turns into train ids 0..149.

    Args:
        root (str): The dataset root to create.
        splits (Sequence[str]): Which splits to write ('train', 'val').
        num_images (int): Images per split.
        height (int): Image height.
        width (int): Image width.
        num_classes (int): Number of class ids used (at most 150).
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split in splits:
        folder, name = ADE20K_SPLITS[split]
        image_dir = osp.join(root, 'images', folder)
        label_dir = osp.join(root, 'annotations', folder)
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for index in range(num_images):
            image, train_ids = _random_scene(rng, height, width, num_classes)
            # Train id t is ADE20K id t + 1; ignored pixels (255) become 0.
            labels = np.where(train_ids == 255, 0, train_ids + 1)
            stem = f'ADE_{name}_{index + 1:08d}'
            cv2.imwrite(osp.join(image_dir, f'{stem}.jpg'), image)
            cv2.imwrite(
                osp.join(label_dir, f'{stem}.png'), labels.astype(np.uint8))
    return root
