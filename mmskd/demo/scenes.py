# Copyright (c) mmskd contributors. All rights reserved.
"""The scenes dataset: the data of the CPU demo (``tools/demo.py``).

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

Labels are Cityscapes train ids (10 of the 19) in Cityscapes' layout, read
by mmseg's ``CityscapesDataset`` and 19-class ``IoUMetric`` as Cityscapes
(the unused classes score nan, which mIoU skips).
"""
import sys
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmskd.datasets.layouts import write_cityscapes_split

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
    """A uniformly random BGR colour.

    Args:
        rng (np.random.Generator): The source of randomness.

    Returns:
        np.ndarray: Three float32 values in [0, 255].
    """
    return rng.integers(0, 256, 3).astype(np.float32)


def _two_colours(rng: np.random.Generator,
                 min_distance: float = 90.) -> Tuple[np.ndarray, np.ndarray]:
    """Two random colours far enough apart for a visible texture.

    Args:
        rng (np.random.Generator): The source of randomness.
        min_distance (float): Least Euclidean distance of the two in BGR.

    Returns:
        tuple[np.ndarray, np.ndarray]: The two colours.
    """
    first = _colour(rng)
    while True:
        second = _colour(rng)
        if np.linalg.norm(first - second) >= min_distance:
            return first, second


def _paint(image: np.ndarray, mask: np.ndarray, pattern: np.ndarray,
           colours: Tuple[np.ndarray, np.ndarray]) -> None:
    """Fill ``mask`` with colours[0] where ``pattern`` is False, else [1].

    Args:
        image (np.ndarray): The float32 (H, W, 3) image, changed in place.
        mask (np.ndarray): Bool (H, W): the pixels to paint.
        pattern (np.ndarray): Bool (H, W): which of the two colours.
        colours (tuple): The two BGR colours.
    """
    fill = np.where(pattern[..., None], colours[1], colours[0])
    image[mask] = fill[mask]


def _stripes(rng: np.random.Generator, ys: np.ndarray,
             xs: np.ndarray) -> np.ndarray:
    """Parallel stripes of random angle, period and phase.

    Args:
        rng (np.random.Generator): The source of randomness.
        ys (np.ndarray): Row coordinates of every pixel, (H, W).
        xs (np.ndarray): Column coordinates of every pixel, (H, W).

    Returns:
        np.ndarray: Bool (H, W), True on every other stripe.
    """
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(3.5, 5.5)
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) / period
    return (phase + rng.uniform()) % 2 < 1


def _dots(rng: np.random.Generator, ys: np.ndarray,
          xs: np.ndarray) -> np.ndarray:
    """A square grid of round dots of random period, radius and offset.

    Takes the arguments of :func:`_stripes`.

    Returns:
        np.ndarray: Bool (H, W), True inside the dots.
    """
    period = rng.uniform(4.5, 6.5)
    radius = period * rng.uniform(0.2, 0.3)
    dy = (ys + rng.uniform(0, period)) % period - period / 2
    dx = (xs + rng.uniform(0, period)) % period - period / 2
    return dy**2 + dx**2 < radius**2


def _shape_mask(rng: np.random.Generator, shape: str, centre: Tuple[int, int],
                size: int, height: int, width: int) -> np.ndarray:
    """A filled shape of about ``size`` pixels across as a bool mask.

    Args:
        rng (np.random.Generator): The source of randomness.
        shape (str): One of ``SHAPES``.
        centre (tuple): (row, column) of the shape's centre.
        size (int): About the shape's extent in pixels.
        height (int): Image height.
        width (int): Image width.

    Returns:
        np.ndarray: Bool (H, W), True inside the shape.
    """
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


@dataclass
class _Canvas:
    """A scene being drawn: its image, labels and pixel coordinates.

    Args:
        image (np.ndarray): Float32 BGR (H, W, 3), drawn into in place.
        labels (np.ndarray): Uint8 train ids (H, W), drawn into in place.
        ys (np.ndarray): Row coordinate of every pixel, float32 (H, W).
        xs (np.ndarray): Column coordinate of every pixel, float32 (H, W).
        horizon (int): The first row below the sky.
    """
    image: np.ndarray
    labels: np.ndarray
    ys: np.ndarray
    xs: np.ndarray
    horizon: int

    @property
    def height(self) -> int:
        return self.labels.shape[0]

    @property
    def width(self) -> int:
        return self.labels.shape[1]


def _draw_sky(rng: np.random.Generator, canvas: _Canvas) -> None:
    """Sky above the horizon: a smooth vertical gradient of two colours."""
    sky = canvas.ys < canvas.horizon
    top, bottom = _two_colours(rng, 60)
    weight = (canvas.ys / max(canvas.horizon, 1))[..., None]
    canvas.image[sky] = (top * (1 - weight) + bottom * weight)[sky]
    canvas.labels[sky] = SKY


def _draw_buildings(rng: np.random.Generator, canvas: _Canvas) -> None:
    """1 to 3 blocks standing on the horizon, filled with window grids."""
    ys, xs, horizon = canvas.ys, canvas.xs, canvas.horizon
    for _ in range(rng.integers(1, 4)):
        block_w = int(canvas.width * rng.uniform(0.12, 0.3))
        x0 = int(rng.integers(0, canvas.width - block_w))
        y0 = int(horizon * rng.uniform(0.1, 0.7))
        block = np.zeros(canvas.labels.shape, bool)
        block[y0:horizon, x0:x0 + block_w] = True
        step_y, step_x = rng.integers(5, 8), rng.integers(4, 7)
        windows = ((ys - y0) % step_y >= 2) & ((xs - x0) % step_x >= 2)
        _paint(canvas.image, block, windows, _two_colours(rng))
        canvas.labels[block] = BUILDING


def _draw_ground(rng: np.random.Generator, canvas: _Canvas) -> np.ndarray:
    """Road (fine grain) below the horizon, with a tiled sidewalk wedge at
    one or both sides that widens towards the bottom of the image.

    Returns:
        np.ndarray: The depth of every pixel, 0 at the horizon and 1 at the
        bottom row (clipped to 0 above the horizon).
    """
    ys, xs, horizon = canvas.ys, canvas.xs, canvas.horizon
    width = canvas.width
    ground = ys >= horizon
    canvas.image[ground] = _colour(rng)
    canvas.image[ground] += rng.normal(0, 18, (int(ground.sum()), 3))
    canvas.labels[ground] = ROAD
    depth = np.clip((ys - horizon) / max(canvas.height - horizon, 1), 0, 1)
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
        _paint(canvas.image, wedge, tiles, tile_colours)
        canvas.labels[wedge] = SIDEWALK
    return depth


def _draw_vegetation(rng: np.random.Generator, canvas: _Canvas) -> None:
    """0 to 2 speckled blobs of circles around the horizon."""
    for _ in range(rng.integers(0, 3)):
        blob = np.zeros(canvas.labels.shape, np.uint8)
        cx = int(rng.integers(0, canvas.width))
        for _ in range(rng.integers(2, 5)):
            cv2.circle(blob, (cx + int(rng.integers(-8, 9)),
                              canvas.horizon + int(rng.integers(-10, 4))),
                       int(rng.integers(6, 14)), 1, -1)
        blob = blob.astype(bool)
        speckle = cv2.GaussianBlur(
            rng.standard_normal(canvas.labels.shape).astype(np.float32),
            (0, 0), 0.8) > 0
        _paint(canvas.image, blob, speckle, _two_colours(rng))
        canvas.labels[blob] = VEGETATION


def _draw_objects(rng: np.random.Generator, canvas: _Canvas,
                  regions: np.ndarray, depth: np.ndarray) -> None:
    """5 to 9 objects and 1 to 3 plain shapes of clutter on the ground.

    Far objects are smaller. An object's class follows ``OBJECT_CLASSES``
    from its shape, its texture and ``regions`` (the road and sidewalk
    labels before any object was drawn) under its centre; clutter keeps the
    label of the region under it.
    """
    height, width = canvas.height, canvas.width
    num_objects = int(rng.integers(5, 10))
    num_clutter = int(rng.integers(1, 4))
    kinds = ['object'] * num_objects + ['clutter'] * num_clutter
    for kind in rng.permutation(kinds):
        cy = int(rng.integers(canvas.horizon + 4, height - 2))
        cx = int(rng.integers(2, width - 2))
        size = int(
            min(height, width) * (0.15 + 0.2 * depth[cy, cx]) *
            rng.uniform(0.8, 1.25))
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        mask = _shape_mask(rng, shape, (cy, cx), size, height, width)
        if kind == 'clutter':
            canvas.image[mask] = _colour(rng)
            canvas.labels[mask] = regions[mask]
            continue
        texture = TEXTURES[int(rng.integers(len(TEXTURES)))]
        draw_pattern = _stripes if texture == 'stripes' else _dots
        pattern = draw_pattern(rng, canvas.ys, canvas.xs)
        _paint(canvas.image, mask, pattern, _two_colours(rng))
        canvas.labels[mask] = OBJECT_CLASSES[(shape, texture,
                                              int(regions[cy, cx]))]


def _disturbed(rng: np.random.Generator, canvas: _Canvas) -> np.ndarray:
    """The image with 0 to 2 stray lines, a random brightness and pixel
    noise, which leave the labels unchanged.

    Returns:
        np.ndarray: The final BGR uint8 image.
    """
    for _ in range(rng.integers(0, 3)):
        start = (int(rng.integers(canvas.width)),
                 int(rng.integers(canvas.height)))
        end = (int(rng.integers(canvas.width)),
               int(rng.integers(canvas.height)))
        colour = tuple(float(c) for c in _colour(rng))
        cv2.line(canvas.image, start, end, colour, 1)
    image = canvas.image * rng.uniform(0.75, 1.25) + rng.normal(
        0, 8, canvas.image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def render_scene(rng: np.random.Generator,
                 height: int = 128,
                 width: int = 128) -> Tuple[np.ndarray, np.ndarray]:
    """One scene: a BGR uint8 image and its uint8 train-id label map.

    The parts are drawn back to front (sky, buildings, ground, vegetation,
    objects, then disturbances), each from the same ``rng`` in that order,
    so that one generator state gives one scene.

    Args:
        rng (np.random.Generator): The source of randomness.
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple: ``(image, labels)``, shapes (H, W, 3) and (H, W).
    """
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    canvas = _Canvas(
        image=np.zeros((height, width, 3), np.float32),
        labels=np.zeros((height, width), np.uint8),
        ys=ys,
        xs=xs,
        horizon=int(height * rng.uniform(0.2, 0.4)))
    _draw_sky(rng, canvas)
    _draw_buildings(rng, canvas)
    depth = _draw_ground(rng, canvas)
    regions = canvas.labels.copy()
    _draw_vegetation(rng, canvas)
    _draw_objects(rng, canvas, regions, depth)
    return _disturbed(rng, canvas), canvas.labels


def _advanced(sample: Tuple[np.ndarray, np.ndarray],
              bar: Optional[ProgressBar]) -> Tuple[np.ndarray, np.ndarray]:
    """``sample``, after moving the progress bar (if any) one step."""
    if bar is not None:
        bar.update()
    return sample


def write_scenes(root: str,
                 seed: int = 0,
                 num_train: int = 500,
                 num_val: int = 100,
                 size: Tuple[int, int] = (128, 128),
                 progress: bool = False) -> str:
    """Write the scenes dataset in the Cityscapes on-disk layout.

    Images and train-id label maps as :func:`mmskd.datasets.
    write_cityscapes_split` writes them; the same arguments write the same
    files.

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
        write_cityscapes_split(root, split,
                               (_advanced(render_scene(rng, height, width),
                                          bar) for _ in range(num_images)))
    if bar is not None:
        bar.file.write('\n')
    return root
