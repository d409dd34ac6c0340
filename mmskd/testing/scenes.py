# Copyright (c) mmskd contributors. All rights reserved.
"""A small structured segmentation dataset for the CPU demo.

Each image is a street-like scene whose labels a model can only get right by
combining shape, texture and context, never from colour (every colour is
drawn at random per image and per object):

- stuff regions by texture and position: ``sky`` (smooth gradient, above the
  horizon), ``building`` (blocks of window grids standing on the horizon),
  ``vegetation`` (blobs of speckle), ``road`` (fine grain, below the horizon)
  and ``sidewalk`` (a tiled wedge at one or both sides of the road);
- 5 to 9 objects on the ground (about a quarter of the pixels), whose class
  depends on their shape and more (``OBJECT_CLASSES``): a rectangle is a
  ``car`` if striped and a ``truck`` if dotted (shape and texture), an
  ellipse is a ``person`` on the sidewalk and a ``rider`` on the road (shape
  and context: the region under its centre, outside the object itself), a
  triangle is a ``traffic sign`` (shape);
- clutter the model must not label as an object: plain untextured shapes
  (labelled as the region under them), stray lines, pixel noise, and a
  random brightness per image.

Labels are Cityscapes train ids (10 of the 19 are used), written in the
Cityscapes on-disk layout, so mmseg's ``CityscapesDataset`` and its 19-class
``IoUMetric`` read them as they read Cityscapes (the unused classes score
nan, which mIoU skips).
"""
import os
import os.path as osp
import sys
from typing import Dict, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

# Cityscapes train ids.
ROAD, SIDEWALK, BUILDING, VEGETATION, SKY = 0, 1, 2, 8, 10
TRAFFIC_SIGN, PERSON, RIDER, CAR, TRUCK = 7, 11, 12, 13, 14

SHAPES = ('rectangle', 'ellipse', 'triangle')
TEXTURES = ('stripes', 'dots')
# (shape, texture, region under the object's centre) -> class: rectangles
# by their texture, ellipses by the region they stand on, triangles by their
# shape alone.
OBJECT_CLASSES: Dict[Tuple[str, str, int], int] = {}
for _region in (ROAD, SIDEWALK):
    for _texture in TEXTURES:
        OBJECT_CLASSES.update({
            ('rectangle', _texture, _region):
            CAR if _texture == 'stripes' else TRUCK,
            ('ellipse', _texture, _region):
            RIDER if _region == ROAD else PERSON,
            ('triangle', _texture, _region):
            TRAFFIC_SIGN,
        })
CLASSES_USED = tuple(
    sorted(
        {ROAD, SIDEWALK, BUILDING, VEGETATION, SKY, *OBJECT_CLASSES.values()}))


def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, 3).astype(np.float32)


def _two_colours(rng: np.random.Generator,
                 min_distance: float = 90.) -> Tuple[np.ndarray, np.ndarray]:
    """Two random colours far enough apart for a visible texture."""
    first = _colour(rng)
    while True:
        second = _colour(rng)
        if np.linalg.norm(first - second) >= min_distance:
            return first, second


def _paint(image: np.ndarray, mask: np.ndarray, pattern: np.ndarray,
           colours: Tuple[np.ndarray, np.ndarray]) -> None:
    """Fill ``mask`` with colours[0] where ``pattern`` is False, else [1]."""
    fill = np.where(pattern[..., None], colours[1], colours[0])
    image[mask] = fill[mask]


def _stripes(rng: np.random.Generator, ys: np.ndarray,
             xs: np.ndarray) -> np.ndarray:
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(3.5, 5.5)
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) / period
    return (phase + rng.uniform()) % 2 < 1


def _dots(rng: np.random.Generator, ys: np.ndarray,
          xs: np.ndarray) -> np.ndarray:
    period = rng.uniform(4.5, 6.5)
    radius = period * rng.uniform(0.2, 0.3)
    dy = (ys + rng.uniform(0, period)) % period - period / 2
    dx = (xs + rng.uniform(0, period)) % period - period / 2
    return dy**2 + dx**2 < radius**2


def _shape_mask(rng: np.random.Generator, shape: str, centre: Tuple[int, int],
                size: int, height: int, width: int) -> np.ndarray:
    """A filled shape of about ``size`` pixels across as a bool mask."""
    canvas = np.zeros((height, width), np.uint8)
    cy, cx = centre
    half_h = max(3, int(size * rng.uniform(0.35, 0.6)))
    half_w = max(3, int(size * rng.uniform(0.35, 0.6)))
    if shape == 'rectangle':
        cv2.rectangle(canvas, (cx - half_w, cy - half_h),
                      (cx + half_w, cy + half_h), 1, -1)
    elif shape == 'ellipse':
        cv2.ellipse(canvas, (cx, cy), (half_w, half_h),
                    float(rng.uniform(0, 180)), 0, 360, 1, -1)
    else:  # a triangle, apex up or down
        sign = 1 if rng.random() < 0.5 else -1
        points = np.array(
            [[cx, cy - sign * half_h], [cx - half_w, cy + sign * half_h],
             [cx + half_w, cy + sign * half_h]], np.int32)
        cv2.fillPoly(canvas, [points], 1)
    return canvas.astype(bool)


def render_scene(rng: np.random.Generator,
                 height: int = 128,
                 width: int = 128) -> Tuple[np.ndarray, np.ndarray]:
    """One scene: a BGR uint8 image and its uint8 train-id label map.

    Args:
        rng (np.random.Generator): The source of randomness.
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple: ``(image, labels)``, shapes (H, W, 3) and (H, W).
    """
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.zeros((height, width, 3), np.float32)
    labels = np.zeros((height, width), np.uint8)
    horizon = int(height * rng.uniform(0.2, 0.4))
    sky = ys < horizon

    # Sky: a smooth vertical gradient between two colours.
    top, bottom = _two_colours(rng, 60)
    weight = (ys / max(horizon, 1))[..., None]
    image[sky] = (top * (1 - weight) + bottom * weight)[sky]
    labels[sky] = SKY

    # Buildings: blocks standing on the horizon, filled with window grids.
    for _ in range(rng.integers(1, 4)):
        block_w = int(width * rng.uniform(0.12, 0.3))
        x0 = int(rng.integers(0, width - block_w))
        y0 = int(horizon * rng.uniform(0.1, 0.7))
        block = np.zeros((height, width), bool)
        block[y0:horizon, x0:x0 + block_w] = True
        step_y, step_x = rng.integers(5, 8), rng.integers(4, 7)
        windows = ((ys - y0) % step_y >= 2) & ((xs - x0) % step_x >= 2)
        _paint(image, block, windows, _two_colours(rng))
        labels[block] = BUILDING

    # Ground: road (fine grain) with a tiled sidewalk wedge at one or both
    # sides, widening towards the bottom of the image.
    ground = ~sky
    image[ground] = _colour(rng)
    image[ground] += rng.normal(0, 18, (int(ground.sum()), 3))
    labels[ground] = ROAD
    depth = np.clip((ys - horizon) / max(height - horizon, 1), 0, 1)
    sides = [('left', 'right')[int(rng.integers(2))]]
    if rng.random() < 0.5:
        sides = ['left', 'right']
    tile_colours = _two_colours(rng)
    tile = rng.integers(5, 9)
    tiles = ((ys % tile) < 1.5) | ((xs % tile) < 1.5)
    for side in sides:
        reach = width * (
            rng.uniform(0.05, 0.2) + depth * rng.uniform(0.25, 0.45))
        wedge = ground & ((xs < reach) if side == 'left' else
                          (xs >= width - reach))
        _paint(image, wedge, tiles, tile_colours)
        labels[wedge] = SIDEWALK
    regions = labels.copy()

    # Vegetation: speckled blobs around the horizon.
    for _ in range(rng.integers(0, 3)):
        blob = np.zeros((height, width), np.uint8)
        cx = int(rng.integers(0, width))
        for _ in range(rng.integers(2, 5)):
            cv2.circle(blob, (cx + int(rng.integers(-8, 9)),
                              horizon + int(rng.integers(-10, 4))),
                       int(rng.integers(6, 14)), 1, -1)
        blob = blob.astype(bool)
        speckle = cv2.GaussianBlur(
            rng.standard_normal((height, width)).astype(np.float32), (0, 0),
            0.8) > 0
        _paint(image, blob, speckle, _two_colours(rng))
        labels[blob] = VEGETATION

    # Objects on the ground and plain clutter, far objects smaller.
    num_objects = int(rng.integers(5, 10))
    num_clutter = int(rng.integers(1, 4))
    kinds = ['object'] * num_objects + ['clutter'] * num_clutter
    for kind in rng.permutation(kinds):
        cy = int(rng.integers(horizon + 4, height - 2))
        cx = int(rng.integers(2, width - 2))
        size = int(
            min(height, width) * (0.15 + 0.2 * depth[cy, cx]) *
            rng.uniform(0.8, 1.25))
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        mask = _shape_mask(rng, shape, (cy, cx), size, height, width)
        if kind == 'clutter':
            image[mask] = _colour(rng)
            labels[mask] = regions[mask]
            continue
        texture = TEXTURES[int(rng.integers(len(TEXTURES)))]
        pattern = (_stripes if texture == 'stripes' else _dots)(rng, ys, xs)
        _paint(image, mask, pattern, _two_colours(rng))
        labels[mask] = OBJECT_CLASSES[(shape, texture, int(regions[cy, cx]))]

    # Stray lines, brightness and pixel noise (labels unchanged).
    for _ in range(rng.integers(0, 3)):
        start = (int(rng.integers(width)), int(rng.integers(height)))
        end = (int(rng.integers(width)), int(rng.integers(height)))
        colour = tuple(float(c) for c in _colour(rng))
        cv2.line(image, start, end, colour, 1)
    image = image * rng.uniform(0.75, 1.25) + rng.normal(0, 8, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), labels


def write_scenes(root: str,
                 seed: int = 0,
                 num_train: int = 500,
                 num_val: int = 100,
                 size: Tuple[int, int] = (128, 128),
                 progress: bool = False) -> str:
    """Write the scenes dataset in the Cityscapes on-disk layout.

    Images go to ``leftImg8bit/{train,val}/city/*_leftImg8bit.png`` and
    train-id label maps to ``gtFine/{train,val}/city/
    *_gtFine_labelTrainIds.png``. The same arguments write the same files.

    Args:
        root (str): The dataset root to create.
        seed (int): Random seed of the whole dataset.
        num_train (int): Training images.
        num_val (int): Validation images.
        size (tuple): (height, width) of the images.
        progress (bool): Show mmengine's progress bar. Defaults to False.

    Returns:
        str: ``root``.
    """
    height, width = size
    bar = ProgressBar(
        num_train + num_val, file=sys.stdout) if progress else None
    # Separate streams per split: the val images do not depend on num_train.
    streams = np.random.SeedSequence(seed).spawn(2)
    for split, num_images, stream in (('train', num_train, streams[0]),
                                      ('val', num_val, streams[1])):
        rng = np.random.default_rng(stream)
        image_dir = osp.join(root, 'leftImg8bit', split, 'city')
        label_dir = osp.join(root, 'gtFine', split, 'city')
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for index in range(num_images):
            image, labels = render_scene(rng, height, width)
            stem = f'city_{index:06d}_000019'
            cv2.imwrite(osp.join(image_dir, f'{stem}_leftImg8bit.png'), image)
            cv2.imwrite(
                osp.join(label_dir, f'{stem}_gtFine_labelTrainIds.png'),
                labels)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.file.write('\n')
    return root
