# Copyright (c) mmskd contributors. All rights reserved.
"""The rooms dataset: generated depth data for the ablation table ``depth``
(the scenes of :mod:`mmskd.demo` are the segmentation tables').

Each image is a box-shaped room seen by a pinhole camera (a Kinect's
horizontal field of view, about 58 degrees) from inside: floor, ceiling, two
side walls, a back wall and one to three boxes standing on the floor, each
surface of a random colour. Depth is the z distance of the surface each ray
meets first. A model can only read it off the geometry: a checker floor
and striped walls of fixed size in the world (their pattern shrinks with
distance), the place of a surface in the image and the light, which falls
off with distance from the camera; the colours say nothing.

Written in the on-disk layout of mmseg's NYU Depth v2 (``NYUDataset``):
``images/{train,test}/room_N.jpg`` and ``annotations/{train,test}/room_N.png``
(16-bit millimetres), read by the configs of
``configs/_base_/datasets/rooms-128x128.py``.
"""
import os
import os.path as osp
from typing import Iterator, Sequence, Tuple

import cv2
import numpy as np

FOCAL = 0.9  # of the image width: a horizontal field of view of 58 degrees
TILE = 0.5  # metres, the floor's checker
STRIPE = 0.4  # metres, the walls' stripes
FLOOR, CEILING, LEFT, RIGHT, BACK = range(5)
# The splits in writing order (``test`` is the validation split, as NYU
# names it).
SPLITS = ('train', 'test')


def _room_surfaces(rng: np.random.Generator, x: np.ndarray,
                   y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Depth and index of the surface each ray meets first (x, y: the ray's
    direction per metre of depth, y downwards)."""
    camera_height = rng.uniform(1.0, 1.6)
    ceiling = rng.uniform(2.4, 3.2) - camera_height
    left, right = rng.uniform(1.2, 3.0, size=2)
    back = rng.uniform(4.0, 8.5)
    with np.errstate(divide='ignore'):
        planes = np.stack([
            np.where(y > 0, camera_height / y, np.inf),
            np.where(y < 0, ceiling / -y, np.inf),
            np.where(x < 0, left / -x, np.inf),
            np.where(x > 0, right / x, np.inf),
            np.full_like(x, back),
        ])
    surface = planes.argmin(axis=0)
    depth = np.take_along_axis(planes, surface[None], axis=0)[0]
    # Boxes on the floor, their front faces towards the camera.
    for index in range(rng.integers(1, 4)):
        z = rng.uniform(1.0, back - 0.5)
        centre = rng.uniform(-left + 0.3, right - 0.3)
        half_width, height = rng.uniform(0.2, 0.6), rng.uniform(0.4, 1.5)
        face = ((np.abs(x * z - centre) <= half_width) &
                (y * z >= camera_height - height) & (y * z <= camera_height))
        nearer = face & (z < depth)
        depth[nearer], surface[nearer] = z, BACK + 1 + index
    return depth, surface


def render_room(rng: np.random.Generator, height: int,
                width: int) -> Tuple[np.ndarray, np.ndarray]:
    """One room: a BGR image and its depth in metres.

    Args:
        rng (np.random.Generator): The room's random stream.
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple[np.ndarray, np.ndarray]: The uint8 image (H, W, 3) and the
        float64 depth (H, W), 0.3 to 10 m.
    """
    image, depth, _ = render_room_surfaces(rng, height, width)
    return image, depth


def render_room_surfaces(
        rng: np.random.Generator, height: int,
        width: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One room as :func:`render_room` draws it, with the surface each
    pixel shows.

    Args:
        rng (np.random.Generator): The room's random stream.
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: The image and depth of
        :func:`render_room`, and the int surface index (H, W): floor,
        ceiling, left, right and back wall, then the boxes.
    """
    focal = FOCAL * width
    horizon = height / 2 + rng.uniform(-0.1, 0.1) * height
    x, y = np.meshgrid((np.arange(width) + 0.5 - width / 2) / focal,
                       (np.arange(height) + 0.5 - horizon) / focal)
    depth, surface = _room_surfaces(rng, x, y)
    world_x = x * depth
    pattern = np.ones_like(depth)
    floor = surface == FLOOR
    checker = (np.floor(world_x / TILE) + np.floor(depth / TILE)) % 2
    pattern[floor] = 1.0 - 0.25 * checker[floor]
    sides = (surface == LEFT) | (surface == RIGHT)
    pattern[sides] = 1.0 - 0.2 * (np.floor(depth / STRIPE) % 2)[sides]
    back = surface == BACK
    pattern[back] = 1.0 - 0.2 * (np.floor(world_x / STRIPE) % 2)[back]
    colours = rng.uniform(60, 230, size=(surface.max() + 1, 3))
    light = 1.0 / (1.0 + 0.1 * depth)
    image = colours[surface] * (pattern * light)[..., None]
    image += rng.normal(0, 4, image.shape)
    return (np.clip(image, 0, 255).astype(np.uint8), np.clip(depth, 0.3,
                                                             10.0), surface)


def write_rooms(root: str,
                seed: int = 0,
                num_train: int = 500,
                num_val: int = 100,
                size: Tuple[int, int] = (128, 160)) -> str:
    """Write the rooms dataset in the layout of mmseg's NYU Depth v2.

    The same arguments write the same files; the validation rooms
    (``test``, as NYU names its split) do not depend on ``num_train``.

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
    make_split_dirs(root, ('images', 'annotations'))
    for split, stem, rng in room_names(seed, num_train, num_val):
        image, depth = render_room(rng, height, width)
        cv2.imwrite(osp.join(root, 'images', split, f'{stem}.jpg'), image)
        cv2.imwrite(
            osp.join(root, 'annotations', split, f'{stem}.png'),
            depth_in_mm(depth))
    return root


def make_split_dirs(root: str, folders: Sequence[str]) -> None:
    """Create ``root/FOLDER/SPLIT`` for every folder and split, once.

    Args:
        root (str): The dataset root.
        folders (Sequence[str]): The folders of one kind of file each.
    """
    for folder in folders:
        for split in SPLITS:
            os.makedirs(osp.join(root, folder, split), exist_ok=True)


def room_names(seed: int, num_train: int,
               num_val: int) -> Iterator[Tuple[str, str, np.random.Generator]]:
    """The split, name and random stream of each room, in writing order.

    The validation rooms (``test``, as NYU names its split) have their own
    stream, so they do not depend on ``num_train``.

    Args:
        seed (int): Random seed of the whole dataset.
        num_train (int): Training rooms.
        num_val (int): Validation rooms.

    Yields:
        tuple: ``(split, stem, rng)``; draw the room from ``rng`` before the
        next one is yielded.
    """
    streams = np.random.SeedSequence(seed).spawn(len(SPLITS))
    for split, num_images, stream in zip(SPLITS, (num_train, num_val),
                                         streams):
        rng = np.random.default_rng(stream)
        for index in range(num_images):
            # NYUDataset takes the scene type from the name before a digit.
            yield split, f'room_{index + 1:04d}', rng


def depth_in_mm(depth: np.ndarray) -> np.ndarray:
    """Depth in metres as the 16-bit millimetres of NYU's depth maps.

    Args:
        depth (np.ndarray): Depth in metres, below 65.5 m.

    Returns:
        np.ndarray: uint16 millimetres.
    """
    return np.round(depth * 1000).astype(np.uint16)
