# Copyright (c) mmskd contributors. All rights reserved.
"""Surface normals: unit vectors of the camera frame (x right, y down, z
forward, facing the camera), the zero vector where a pixel has none."""
from typing import Union

import numpy as np
import torch

Normals = Union[np.ndarray, torch.Tensor]

# A stored normal shorter than this is "no normal" (unit normals are stored,
# and the zero vector means none).
MIN_NORM = 0.5
# The axes of the normal that change sign when the image is mirrored.
MIRRORED_AXES = dict(horizontal=(0, ), vertical=(1, ), diagonal=(0, 1))


def has_normal(normals: Normals, channel_axis: int) -> Normals:
    """Where the map holds a normal.

    Args:
        normals (np.ndarray | Tensor): A normal map.
        channel_axis (int): The axis of its (x, y, z) components.

    Returns:
        np.ndarray | Tensor: Bool, the channel axis kept (size 1).
    """
    if isinstance(normals, np.ndarray):
        norm = np.linalg.norm(normals, axis=channel_axis, keepdims=True)
    else:
        norm = normals.norm(dim=channel_axis, keepdim=True)
    return norm > MIN_NORM


def mirror_normals(normals: Normals, direction: str,
                   channel_axis: int) -> Normals:
    """The normals of a mirrored scene: the mirrored axes change sign (x for
    a horizontal flip, y for a vertical one, both for a diagonal one).

    Args:
        normals (np.ndarray | Tensor): A normal map, already flipped with
            its image.
        direction (str): ``'horizontal'``, ``'vertical'`` or
            ``'diagonal'``.
        channel_axis (int): The axis of its (x, y, z) components.

    Returns:
        np.ndarray | Tensor: A mirrored copy.
    """
    if direction not in MIRRORED_AXES:
        raise ValueError(f'a flip is one of {tuple(MIRRORED_AXES)}, got '
                         f'{direction!r}')
    mirrored = normals.copy() if isinstance(normals,
                                            np.ndarray) else normals.clone()
    index = [slice(None)] * mirrored.ndim
    for axis in MIRRORED_AXES[direction]:
        index[channel_axis] = axis
        mirrored[tuple(index)] *= -1
    return mirrored
