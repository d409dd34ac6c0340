# Copyright (c) mmskd contributors. All rights reserved.
"""The clips dataset: generated video for the ablation table ``video``.

Each clip is a camera pan over one of the demo's scenes
(:func:`mmskd.demo.render_scene`, drawn larger than a frame): from one frame
to the next the scene's content moves by a whole number of pixels (dx, dy)
(the window by (-dx, -dy)), one motion per clip (|dx| <= 4, |dy| <= 1), so
the true flow from frame t to frame t + k is (k dx, k dy) at every pixel.
What makes per-frame predictions flicker is what does in real video: the
motion between neighbouring frames is not a multiple of the networks' output
stride, new scene enters at the border, and every frame has its own sensor
noise and brightness.

Written in the on-disk layout of the Cityscapes sequences
(:class:`mmskd.CityscapesSequenceDataset`): the labelled frame (number 19)
of each clip and its train-id labels, frames 17 to 21 in
``leftImg8bit_sequence`` and the true flow from the labelled frame to each
other frame as ``.npy`` files in ``flow`` (read by ``PrecomputedFlow``), so
the training pairs at gaps 1 and 2 and the evaluated pair (19, 20) all have
their flow.
"""
import os
import os.path as osp
from typing import Tuple

import numpy as np

from mmskd.datasets.layouts import (CITYSCAPES_CITY, CITYSCAPES_FRAME,
                                    cityscapes_paths, write_image_and_labels)
from mmskd.demo.scenes import render_scene

MAX_DX, MAX_DY = 4, 1  # pixels per frame
REACH = 2  # frames before and after the labelled one


def clip_motion(rng: np.random.Generator) -> Tuple[int, int]:
    """A clip's motion per frame, never zero.

    Args:
        rng (np.random.Generator): The clip's random stream.

    Returns:
        tuple[int, int]: (dx, dy) in pixels.
    """
    while True:
        dx = int(rng.integers(-MAX_DX, MAX_DX + 1))
        dy = int(rng.integers(-MAX_DY, MAX_DY + 1))
        if dx or dy:
            return dx, dy


def render_clip(rng: np.random.Generator, height: int,
                width: int) -> Tuple[list, np.ndarray, Tuple[int, int]]:
    """One clip: its frames, the labelled frame's labels and its motion.

    Args:
        rng (np.random.Generator): The clip's random stream.
        height (int): Frame height.
        width (int): Frame width.

    Returns:
        tuple: The 2 * REACH + 1 BGR uint8 frames in temporal order, the
        labels of the middle one and (dx, dy).
    """
    margin_y, margin_x = REACH * MAX_DY, REACH * MAX_DX
    scene, labels = render_scene(rng, height + 2 * margin_y,
                                 width + 2 * margin_x)
    dx, dy = clip_motion(rng)

    def window(array: np.ndarray, offset: int) -> np.ndarray:
        # The pixel at (x, y) of frame t is at (x + dx, y + dy) of t + 1.
        top, left = margin_y - offset * dy, margin_x - offset * dx
        return array[top:top + height, left:left + width]

    frames = []
    for offset in range(-REACH, REACH + 1):
        frame = window(scene, offset) * rng.uniform(0.9, 1.1)
        frame += rng.normal(0, 6, frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames, window(labels, 0), (dx, dy)


def write_clips(root: str,
                seed: int = 0,
                num_train: int = 500,
                num_val: int = 100,
                size: Tuple[int, int] = (128, 128)) -> str:
    """Write the clips dataset in the layout of the Cityscapes sequences.

    The same arguments write the same files; the validation clips do not
    depend on ``num_train``.

    Args:
        root (str): The dataset root to create.
        seed (int): Random seed of the whole dataset.
        num_train (int): Training clips (one labelled frame each).
        num_val (int): Validation clips.
        size (tuple): (height, width) of the frames.

    Returns:
        str: ``root``.
    """
    height, width = size
    streams = np.random.SeedSequence(seed).spawn(2)
    for split, num_clips, stream in (('train', num_train, streams[0]),
                                     ('val', num_val, streams[1])):
        rng = np.random.default_rng(stream)
        sequences = osp.join(root, 'leftImg8bit_sequence', split,
                             CITYSCAPES_CITY)
        flows = osp.join(root, 'flow', split, CITYSCAPES_CITY)
        os.makedirs(flows, exist_ok=True)
        for index in range(num_clips):
            frames, labels, (dx, dy) = render_clip(rng, height, width)
            image_path, label_path = cityscapes_paths(root, split, index)
            write_image_and_labels(image_path, frames[REACH], label_path,
                                   labels)
            stem = f'{CITYSCAPES_CITY}_{index:06d}'
            for offset, frame in zip(range(-REACH, REACH + 1), frames):
                number = CITYSCAPES_FRAME + offset
                write_image_and_labels(
                    osp.join(sequences,
                             f'{stem}_{number:06d}_leftImg8bit.png'), frame)
                if offset:
                    flow = np.empty((height, width, 2), np.float32)
                    flow[..., 0], flow[..., 1] = offset * dx, offset * dy
                    np.save(
                        osp.join(
                            flows, f'{stem}_{CITYSCAPES_FRAME:06d}_'
                            f'{number:06d}.npy'), flow)
    return root
