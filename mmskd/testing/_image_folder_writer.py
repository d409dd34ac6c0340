# Copyright (c) mmskd contributors. All rights reserved.
"""Generated data for distillation on unlabelled images."""
import os.path as osp
import shutil
from typing import Sequence

from ._writers import write_cityscapes_like


def write_cityscapes_with_extra(root: str,
                                splits: Sequence[str] = ('train', 'val'),
                                num_images: int = 4,
                                height: int = 64,
                                width: int = 128,
                                seed: int = 0) -> str:
    """A Cityscapes-layout set plus an image-only ``train_extra`` split.

    ``leftImg8bit/train_extra/city/*_leftImg8bit.png`` has images and no
    ``gtFine`` labels, as Cityscapes' ``leftImg8bit_trainextra`` package
    (its coarse labels are not used).

    Args:
        root (str): The dataset root to create.
        splits (Sequence[str]): The labelled splits.
        num_images (int): Images per split, ``train_extra`` included.
        height (int): Image height.
        width (int): Image width.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    write_cityscapes_like(
        root, (*splits, 'train_extra'),
        num_images=num_images,
        height=height,
        width=width,
        seed=seed)
    shutil.rmtree(osp.join(root, 'gtFine', 'train_extra'))
    return root
