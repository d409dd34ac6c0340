# Copyright (c) mmskd contributors. All rights reserved.
"""The rooms with three tasks: the rooms of :mod:`.rooms` with the class and
the surface normal of each pixel beside its depth, for the multi-task
configs (``configs/_base_/datasets/mt-rooms-128x128.py``).

Classes: floor, ceiling, wall (the three walls), box. Normals in the camera
frame (x right, y down, z forward, facing the camera): the camera looks
along the floor, so the floor's is (0, -1, 0), the ceiling's (0, 1, 0), the
left wall's (1, 0, 0), the right wall's (-1, 0, 0), the back wall's and the
boxes' fronts (0, 0, -1).

Written in :class:`mmskd.datasets.MultiTaskDataset`'s layout:
``images/{train,test}/room_N.jpg``, ``labels/...png`` (uint8 classes),
``depth/...png`` (uint16 millimetres), ``normals/...png`` (8-bit RGB, see
:func:`mmskd.datasets.encode_normals`).
"""
import os.path as osp
from typing import Tuple

import cv2
import numpy as np

from mmskd.datasets.transforms import encode_normals
from .rooms import (BACK, CEILING, FLOOR, LEFT, RIGHT, depth_in_mm,
                    make_split_dirs, render_room_surfaces, room_names)

CLASSES = ('floor', 'ceiling', 'wall', 'box')
# Class and normal of each surface; the boxes (BACK + 1, ...) are the last.
SURFACE_CLASSES = {FLOOR: 0, CEILING: 1, LEFT: 2, RIGHT: 2, BACK: 2}
SURFACE_NORMALS = {
    FLOOR: (0, -1, 0),
    CEILING: (0, 1, 0),
    LEFT: (1, 0, 0),
    RIGHT: (-1, 0, 0),
    BACK: (0, 0, -1),
}
BOX_CLASS, BOX_NORMAL = 3, (0, 0, -1)
# MultiTaskDataset's data_prefix key of each folder.
PREFIX_FOLDERS = dict(
    img_path='images',
    seg_map_path='labels',
    depth_map_path='depth',
    normal_map_path='normals')
FOLDERS = tuple(PREFIX_FOLDERS.values())


def room_task_maps(surface: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The class and the unit normal of each pixel of a room.

    Args:
        surface (np.ndarray): The surface index of each pixel (H, W).

    Returns:
        tuple[np.ndarray, np.ndarray]: uint8 classes (H, W) and float32
        normals (H, W, 3).
    """
    labels = np.full(surface.shape, BOX_CLASS, dtype=np.uint8)
    normals = np.empty(surface.shape + (3, ), dtype=np.float32)
    normals[:] = BOX_NORMAL
    for index, label in SURFACE_CLASSES.items():
        labels[surface == index] = label
        normals[surface == index] = SURFACE_NORMALS[index]
    return labels, normals


def write_multi_task_rooms(root: str,
                           seed: int = 0,
                           num_train: int = 500,
                           num_val: int = 100,
                           size: Tuple[int, int] = (128, 160)) -> str:
    """Write the three-task rooms (the same rooms as
    :func:`mmskd.ablation.write_rooms` for the same arguments).

    Args:
        root (str): The dataset root to create.
        seed (int): Random seed of the whole dataset.
        num_train (int): Training rooms.
        num_val (int): Validation rooms.
        size (tuple): (height, width) of the images.

    Returns:
        str: ``root``.
    """
    height, width = size
    make_split_dirs(root, FOLDERS)
    for split, stem, rng in room_names(seed, num_train, num_val):
        image, depth, surface = render_room_surfaces(rng, height, width)
        labels, normals = room_task_maps(surface)
        files = {
            folder: osp.join(root, folder, split, stem)
            for folder in FOLDERS
        }
        cv2.imwrite(files['images'] + '.jpg', image)
        cv2.imwrite(files['labels'] + '.png', labels)
        cv2.imwrite(files['depth'] + '.png', depth_in_mm(depth))
        cv2.imwrite(files['normals'] + '.png',
                    encode_normals(normals)[..., ::-1])
    return root
