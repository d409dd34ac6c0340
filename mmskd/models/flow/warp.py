# Copyright (c) mmskd contributors. All rights reserved.
"""Backward warping of a frame (or of its predictions) with optical flow.

Conventions, used by every flow source and every temporal term of mmskd:

- A flow ``M_{t->t+k}`` has shape (N, 2, H, W) and is in **pixels** of the
  map it belongs to. Channel 0 is the horizontal displacement dx (positive
  to the right), channel 1 the vertical displacement dy (positive
  downwards): the pixel at (x, y) of frame t moves to (x + dx, y + dy) of
  frame t+k. This is the thesis's δi = M_{t->t+k}(i) (ch. 5, eq. 5.1) and
  the layout of Middlebury ``.flo`` files and torchvision's RAFT.
- ``flow_warp(x_{t+k}, M_{t->t+k})`` samples x_{t+k} at i + δi for every
  position i of frame t, which aligns frame t+k (or its class probabilities)
  with frame t: the thesis's q̂_{t+k->t} and Î_{t+k}. This is backward
  warping, so every target position gets exactly one value and no holes
  appear.
- Positions are pixel indices (0 .. W-1, 0 .. H-1), so they are normalised
  for :func:`torch.nn.functional.grid_sample` with ``align_corners=True``:
  index 0 maps to -1 and index W-1 to +1. An integer flow then samples at
  pixel centres, and bilinear warping by an integer shift reproduces the
  shifted values up to the rounding of the normalised grid (about 1e-7
  relative in float32).
- A position whose source i + δi lies outside [0, W-1] x [0, H-1] is out of
  frame: its warped value is exactly 0 and :func:`warp_valid_mask` marks it
  False. A source between the last pixel centre and the image border (e.g.
  x + dx = W - 0.5) counts as out of frame too, because bilinear sampling
  there would blend in the zero padding. 0 is also a legitimate value, so
  callers tell out-of-frame positions by the mask, not by the zeros.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

WARP_MODES = ('bilinear', 'nearest')


def check_flow(flow: Tensor,
               size: Tuple[int, int],
               batch: int,
               what: str = 'flow') -> None:
    """Check that a flow field fits a batch of maps.

    Args:
        flow (Tensor): The flow, expected shape (N, 2, H, W).
        size (Tuple[int, int]): The (H, W) of the maps it must warp.
        batch (int): The batch size N of those maps.
        what (str): How to name the flow in the error. Defaults to 'flow'.

    Raises:
        ValueError: If the flow is not (batch, 2, H, W).
    """
    expected = (batch, 2, *size)
    if tuple(flow.shape) != expected:
        raise ValueError(
            f'{what} must have shape (N, 2, H, W) = {expected} (channel 0 '
            'dx, channel 1 dy, in pixels, matching the maps it warps), but '
            f'has shape {tuple(flow.shape)}.')


def _source_coords(flow: Tensor) -> Tuple[Tensor, Tensor]:
    """Pixel coordinates i + δi that each target position samples.

    Args:
        flow (Tensor): Flow of shape (N, 2, H, W), (dx, dy) in pixels.

    Returns:
        Tuple[Tensor, Tensor]: The source x and y coordinates, each of shape
        (N, H, W), in the flow's dtype.
    """
    height, width = flow.shape[-2:]
    rows = torch.arange(height, dtype=flow.dtype, device=flow.device)
    cols = torch.arange(width, dtype=flow.dtype, device=flow.device)
    grid_y, grid_x = torch.meshgrid(rows, cols, indexing='ij')
    return grid_x + flow[:, 0], grid_y + flow[:, 1]


def _inside(src_x: Tensor, src_y: Tensor) -> Tensor:
    """Whether source coordinates lie inside the frame.

    Args:
        src_x (Tensor): Source x coordinates of shape (N, H, W).
        src_y (Tensor): Source y coordinates of shape (N, H, W).

    Returns:
        Tensor: A bool mask of shape (N, 1, H, W).
    """
    height, width = src_x.shape[-2:]
    inside = (src_x >= 0) & (src_x <= width - 1) & (src_y >= 0) & (
        src_y <= height - 1)
    return inside.unsqueeze(1)


def warp_valid_mask(flow: Tensor) -> Tensor:
    """Which target positions sample a source inside the frame.

    Args:
        flow (Tensor): Flow of shape (N, 2, H, W), (dx, dy) in pixels.

    Returns:
        Tensor: A bool mask of shape (N, 1, H, W), True where
        0 <= x + dx <= W - 1 and 0 <= y + dy <= H - 1.
    """
    return _inside(*_source_coords(flow))


def flow_warp(x: Tensor, flow: Tensor, mode: str = 'bilinear') -> Tensor:
    """Warp frame t+k's map to frame t with the flow from t to t+k.

    ``out[n, :, y, x] = x[n, :, y + dy, x + dx]`` (bilinearly interpolated
    for fractional flow); out-of-frame positions are exactly 0, see
    :func:`warp_valid_mask` and the module docstring for the conventions.

    Args:
        x (Tensor): The map of frame t+k, shape (N, C, H, W): an image,
            logits, class probabilities, or label maps as floats (with
            ``mode='nearest'``).
        flow (Tensor): Flow from frame t to frame t+k, shape (N, 2, H, W),
            (dx, dy) in pixels of this map. It is cast to ``x``'s dtype.
        mode (str): 'bilinear', or 'nearest' for label maps (a bilinear
            blend of two class indices is not a class). Defaults to
            'bilinear'.

    Returns:
        Tensor: The warped map of shape (N, C, H, W), aligned with frame t.

    Raises:
        ValueError: For an unknown mode or a flow that does not fit ``x``.
    """
    if mode not in WARP_MODES:
        raise ValueError(
            f'mode must be one of {WARP_MODES}, but got {mode!r}.')
    if x.dim() != 4:
        raise ValueError('flow_warp expects maps of shape (N, C, H, W), but '
                         f'got shape {tuple(x.shape)}.')
    check_flow(flow, x.shape[-2:], x.shape[0])
    height, width = x.shape[-2:]
    src_x, src_y = _source_coords(flow.to(x.dtype))
    # align_corners=True: index 0 -> -1 and index size-1 -> +1. A 1-pixel
    # axis has only index 0; max(., 1) keeps it at -1 instead of 0 / 0.
    norm_x = 2 * src_x / max(width - 1, 1) - 1
    norm_y = 2 * src_y / max(height - 1, 1) - 1
    grid = torch.stack((norm_x, norm_y), dim=-1)
    warped = F.grid_sample(
        x, grid, mode=mode, padding_mode='zeros', align_corners=True)
    # Rounding in the normalisation can put a source that is exactly one
    # pixel out of frame a hair inside it, blending in ~1e-16 of a border
    # pixel; the mask makes out-of-frame values exactly 0.
    return warped * _inside(src_x, src_y)
