# Copyright (c) mmskd contributors. All rights reserved.
"""Write small depth datasets in the on-disk layout of mmseg's NYU.

``NYUDataset`` (mmseg 1.2.2, ``mmseg/datasets/nyu.py``) lists
``images/{split}/*.jpg`` and pairs each with ``annotations/{split}/*.png``
of the same stem; ``LoadDepthAnnotation`` reads those as 16-bit PNGs of
millimetres (``depth_rescale_factor=1e-3``), 0 meaning "no depth". The
dataset also takes a scene category from the file name before its first
digit (``bedroom_0001.jpg`` is a bedroom), and a name without a digit makes
it raise StopIteration, so every stem here has one.
"""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

SCENES = ('bedroom', 'kitchen', 'office')


def _random_room(rng: np.random.Generator, height: int, width: int) -> tuple:
    """A BGR image and a depth map (mm) of a wall, a floor and two boxes.

    The image is a function of depth (darker is farther) plus noise, so a
    model can learn something from it; depth lies in 0.6-9 m.
    """
    rows = np.arange(height, dtype=np.float64)[:, None]
    wall = rng.uniform(3.0, 9.0)
    # The floor comes closer towards the bottom of the image.
    floor = wall / (1.0 + 3.0 * np.clip(rows / height - 0.5, 0, None))
    depth = np.broadcast_to(floor, (height, width)).copy()
    for _ in range(2):
        y0, x0 = rng.integers(0, height // 2), rng.integers(0, width // 2)
        box_h = rng.integers(height // 4, height // 2)
        box_w = rng.integers(width // 4, width // 2)
        depth[y0:y0 + box_h, x0:x0 + box_w] = rng.uniform(0.6, wall)
    shade = 255.0 * (1.0 - depth / 10.0)
    image = np.stack([shade, shade * 0.8, shade * 0.6], axis=-1)
    image = image + rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), depth * 1000.0


def write_nyu_like(root: str,
                   splits: Sequence[str] = ('train', 'test'),
                   num_images: int = 2,
                   height: int = 48,
                   width: int = 64,
                   invalid_border: int = 2,
                   invalid_fraction: float = 0.05,
                   seed: int = 0) -> str:
    """Write a dataset that mmseg's ``NYUDataset`` reads.

    Each depth map has invalid (0) pixels: a border of ``invalid_border``
    pixels, as NYU's projected Kinect maps have, and ``invalid_fraction`` of
    the rest at random, as its holes.

    Args:
        root (str): The dataset root to create (``data/nyu`` in mmseg).
        splits (Sequence[str]): Which splits to write.
        num_images (int): Images per split.
        height (int): Image height.
        width (int): Image width.
        invalid_border (int): Width of the invalid frame, in pixels.
        invalid_fraction (float): Share of the inner pixels set invalid.
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split in splits:
        image_dir = osp.join(root, 'images', split)
        depth_dir = osp.join(root, 'annotations', split)
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(depth_dir, exist_ok=True)
        for index in range(num_images):
            image, depth_mm = _random_room(rng, height, width)
            valid = rng.random((height, width)) >= invalid_fraction
            if invalid_border:
                valid[:invalid_border] = valid[-invalid_border:] = False
                valid[:, :invalid_border] = False
                valid[:, -invalid_border:] = False
            depth = np.where(valid, np.round(depth_mm), 0).astype(np.uint16)
            stem = f'{SCENES[index % len(SCENES)]}_{index + 1:04d}'
            cv2.imwrite(osp.join(image_dir, f'{stem}.jpg'), image)
            cv2.imwrite(osp.join(depth_dir, f'{stem}.png'), depth)
    return root


def write_nyu_frames(root: str,
                     num_frames: int = 2,
                     height: int = 48,
                     width: int = 64,
                     seed: int = 1) -> str:
    """Write depth-less frames under ``root/unlabelled``, as NYU's raw video
    sequences ship them (``{scene}/r-{timestamp}.ppm``).

    Args:
        root (str): The dataset root (``data/nyu`` in mmseg).
        num_frames (int): Frames to write.
        height (int): Frame height.
        width (int): Frame width.
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'unlabelled', 'bedroom_0001')
    os.makedirs(folder, exist_ok=True)
    for index in range(num_frames):
        image, _ = _random_room(rng, height, width)
        cv2.imwrite(osp.join(folder, f'r-{1294439283 + index}.ppm'), image)
    return root
