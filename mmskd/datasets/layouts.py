# Copyright (c) mmskd contributors. All rights reserved.
"""Write images and label maps where mmseg's dataset classes look for them.

:func:`write_image_and_labels` is the one place that puts an image (and its
label map) on disk; :func:`write_cityscapes_split` names the files as
Cityscapes does, so that mmseg's ``CityscapesDataset`` (and its pipelines and
``IoUMetric``) read generated data as they read Cityscapes.
"""
import os
import os.path as osp
from typing import Iterable, Optional, Tuple

import cv2
import numpy as np

# Cityscapes names every file ``{city}_{sequence:06d}_{frame:06d}_{suffix}``;
# the generated data uses one city and one frame number.
CITYSCAPES_CITY = 'city'
CITYSCAPES_FRAME = 19


def write_image_and_labels(image_path: str,
                           image: np.ndarray,
                           label_path: Optional[str] = None,
                           labels: Optional[np.ndarray] = None) -> None:
    """Write an image and, optionally, its label map, creating their folders.

    Args:
        image_path (str): Where the image goes; the extension picks the
            format (``.png`` is lossless, ``.jpg`` is what ADE20K and COCO
            ship).
        image (np.ndarray): A BGR uint8 image of shape (H, W, 3).
        label_path (str, optional): Where the label map goes (a ``.png``:
            label maps must be lossless).
        labels (np.ndarray, optional): A uint8 label map of shape (H, W).

    Raises:
        OSError: If OpenCV cannot write a file (it returns False instead of
            raising).
    """
    for path, array in ((image_path, image), (label_path, labels)):
        if path is None:
            continue
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        if not cv2.imwrite(path, array):
            raise OSError(f'cv2.imwrite could not write {path}')


def cityscapes_paths(root: str, split: str, index: int) -> Tuple[str, str]:
    """The image and train-id label paths of one Cityscapes sample.

    Args:
        root (str): The dataset root (mmseg's ``data_root``).
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        index (int): The sample's number within the split.

    Returns:
        tuple[str, str]: ``leftImg8bit/{split}/city/*_leftImg8bit.png`` and
        ``gtFine/{split}/city/*_gtFine_labelTrainIds.png`` under ``root``.
    """
    stem = f'{CITYSCAPES_CITY}_{index:06d}_{CITYSCAPES_FRAME:06d}'
    return (osp.join(root, 'leftImg8bit', split, CITYSCAPES_CITY,
                     f'{stem}_leftImg8bit.png'),
            osp.join(root, 'gtFine', split, CITYSCAPES_CITY,
                     f'{stem}_gtFine_labelTrainIds.png'))


def write_cityscapes_split(
        root: str, split: str,
        samples: Iterable[Tuple[np.ndarray, np.ndarray]]) -> int:
    """Write (image, train-id label map) pairs as one Cityscapes split.

    Args:
        root (str): The dataset root to write into.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        samples (Iterable[tuple]): BGR uint8 images of shape (H, W, 3) with
            uint8 label maps of shape (H, W) in Cityscapes train ids (255 is
            ignored); a generator is consumed one sample at a time.

    Returns:
        int: The number of samples written.
    """
    count = 0
    for index, (image, labels) in enumerate(samples):
        image_path, label_path = cityscapes_paths(root, split, index)
        write_image_and_labels(image_path, image, label_path, labels)
        count += 1
    return count
