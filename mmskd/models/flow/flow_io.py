# Copyright (c) mmskd contributors. All rights reserved.
"""Reading and writing optical flow files: Middlebury ``.flo`` and ``.npy``.

Both hold one flow field as an (H, W, 2) float32 array, channel 0 the
horizontal displacement dx and channel 1 the vertical displacement dy, in
pixels (see :mod:`mmskd.models.flow.warp` for the direction).

The Middlebury ``.flo`` layout (little-endian):

====== ========= =====================================================
offset type      content
====== ========= =====================================================
0      float32   the magic number 202021.25 (the bytes spell ``PIEH``)
4      int32     width W
8      int32     height H
12     float32   H * W * 2 values, row by row, (dx, dy) interleaved
====== ========= =====================================================
"""
import os
import os.path as osp
from typing import Sequence, Tuple

import numpy as np

FLO_MAGIC = 202021.25
FLO_HEADER_BYTES = 12
FLOW_EXTENSIONS = ('.flo', '.npy')


def read_flo(path: str) -> np.ndarray:
    """Read a Middlebury ``.flo`` file.

    Args:
        path (str): The file.

    Returns:
        np.ndarray: The flow of shape (H, W, 2), float32.

    Raises:
        ValueError: If the file is shorter than its header, its magic number
            is not 202021.25, its size is not positive, or it does not hold
            exactly H * W * 2 values. The message names the file.
    """
    with open(path, 'rb') as file:
        data = file.read()
    if len(data) < FLO_HEADER_BYTES:
        raise ValueError(
            f'{path} is not a .flo file: {len(data)} bytes, shorter than the '
            f'{FLO_HEADER_BYTES}-byte header (magic, width, height).')
    magic = np.frombuffer(data, '<f4', count=1)[0]
    if magic != np.float32(FLO_MAGIC):
        raise ValueError(
            f'{path} is not a .flo file: its magic number is {magic!r}, '
            f'expected {FLO_MAGIC} (a Middlebury .flo file starts with the '
            "bytes 'PIEH').")
    width, height = (int(v) for v in np.frombuffer(data, '<i4', 2, offset=4))
    if width <= 0 or height <= 0:
        raise ValueError(f'{path}: the .flo header gives a flow of width '
                         f'{width} and height {height}; both must be > 0.')
    num_values = (len(data) - FLO_HEADER_BYTES) // 4
    if num_values != height * width * 2 or len(data) % 4:
        raise ValueError(
            f'{path}: the .flo header gives a {height}x{width} flow, i.e. '
            f'{height * width * 2} float32 values, but the file holds '
            f'{len(data) - FLO_HEADER_BYTES} bytes of data (truncated or not '
            'a .flo file).')
    values = np.frombuffer(data, '<f4', offset=FLO_HEADER_BYTES)
    return values.reshape(height, width, 2).astype(np.float32)


def write_flo(path: str, flow: np.ndarray) -> None:
    """Write a flow as a Middlebury ``.flo`` file.

    Args:
        path (str): The file to write; its folder is created if missing.
        flow (np.ndarray): The flow of shape (H, W, 2), (dx, dy) in pixels.

    Raises:
        ValueError: If the flow is not (H, W, 2).
    """
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError('write_flo expects a flow of shape (H, W, 2), but '
                         f'got shape {flow.shape} for {path}.')
    height, width = flow.shape[:2]
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, 'wb') as file:
        file.write(np.array([FLO_MAGIC], '<f4').tobytes())
        file.write(np.array([width, height], '<i4').tobytes())
        file.write(np.ascontiguousarray(flow, '<f4').tobytes())


def read_flow(path: str) -> np.ndarray:
    """Read a flow file, ``.flo`` or ``.npy`` by its extension.

    A ``.npy`` file must hold an (H, W, 2) array, the ``.flo`` layout;
    (2, H, W) is refused rather than guessed, since a 2-pixel-wide flow
    would make the two layouts indistinguishable.

    Args:
        path (str): The file.

    Returns:
        np.ndarray: The flow of shape (H, W, 2), float32.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: For another extension, a bad ``.flo`` file or an
            ``.npy`` array that is not (H, W, 2). The message names the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Flow file {path} does not exist.')
    ext = osp.splitext(path)[1].lower()
    if ext == '.flo':
        return read_flo(path)
    if ext != '.npy':
        raise ValueError(f'{path}: unknown flow file extension {ext!r}; '
                         f'expected one of {FLOW_EXTENSIONS}.')
    flow = np.load(path, allow_pickle=False)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(
            f'{path} holds an array of shape {flow.shape}, but a flow file '
            'must hold (H, W, 2): (dx, dy) in pixels per position.')
    return flow.astype(np.float32)


def read_flows(paths: Sequence[str], size: Tuple[int, int]) -> np.ndarray:
    """Read the flow files of frames of one size and stack them.

    Args:
        paths (Sequence[str]): The files, each read by :func:`read_flow`.
        size (Tuple[int, int]): The (H, W) of the frames they belong to.

    Returns:
        np.ndarray: The flows of shape (len(paths), H, W, 2), float32.

    Raises:
        ValueError: If ``paths`` is empty or a file's flow is not H x W (the
            message names the file); bad files raise :func:`read_flow`'s
            errors.
    """
    if len(paths) == 0:
        raise ValueError('read_flows needs at least one flow file.')
    flows = []
    for path in paths:
        flow = read_flow(path)
        if flow.shape[:2] != tuple(size):
            raise ValueError(
                f'{path} holds a {flow.shape[0]}x{flow.shape[1]} flow, but '
                f'the frames it belongs to are {size[0]}x{size[1]}; compute '
                'the flow at the resolution of the stored frames (the data '
                'pipeline resizes, crops and flips it with them).')
        flows.append(flow)
    return np.stack(flows)
