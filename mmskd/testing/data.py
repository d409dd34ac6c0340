# Copyright (c) mmskd contributors. All rights reserved.
"""Write small datasets in the on-disk layout of the real ones."""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np


def _random_scene(rng: np.random.Generator, height: int, width: int,
                  num_classes: int) -> tuple:
    """An image of a few coloured rectangles and its label map."""
    labels = np.full((height, width), rng.integers(num_classes), np.uint8)
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = rng.integers(0, 255, 3)
    for _ in range(4):
        y0, x0 = rng.integers(0, height - 8), rng.integers(0, width - 8)
        y1 = y0 + rng.integers(8, height // 2)
        x1 = x0 + rng.integers(8, width // 2)
        cls = int(rng.integers(num_classes))
        labels[y0:y1, x0:x1] = cls
        image[y0:y1, x0:x1] = (37 * cls % 255, 91 * cls % 255, 53 * cls % 255)
    noise = rng.integers(-10, 10, image.shape)
    image = np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)
    labels[rng.random((height, width)) < 0.02] = 255  # some ignored pixels
    return image, labels


def write_cityscapes_like(root: str,
                          splits: Sequence[str] = ('train', 'val'),
                          num_images: int = 4,
                          height: int = 64,
                          width: int = 128,
                          num_classes: int = 19,
                          seed: int = 0) -> str:
    """Write a Cityscapes-layout dataset that ``CityscapesDataset`` reads.

    Images go to ``leftImg8bit/{split}/city/*_leftImg8bit.png`` and train-id
    label maps to ``gtFine/{split}/city/*_gtFine_labelTrainIds.png``.

    Args:
        root (str): The dataset root to create.
        splits (Sequence[str]): Which splits to write.
        num_images (int): Images per split.
        height (int): Image height.
        width (int): Image width.
        num_classes (int): Number of label ids used (255 is ignored).
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split in splits:
        image_dir = osp.join(root, 'leftImg8bit', split, 'city')
        label_dir = osp.join(root, 'gtFine', split, 'city')
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for index in range(num_images):
            image, labels = _random_scene(rng, height, width, num_classes)
            stem = f'city_{index:06d}_000019'
            cv2.imwrite(osp.join(image_dir, f'{stem}_leftImg8bit.png'), image)
            cv2.imwrite(
                osp.join(label_dir, f'{stem}_gtFine_labelTrainIds.png'),
                labels)
    return root
