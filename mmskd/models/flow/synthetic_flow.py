# Copyright (c) mmskd contributors. All rights reserved.
"""A known synthetic flow: every pixel moves by the same displacement."""
from typing import Optional, Sequence

import torch
from torch import Tensor

from mmskd.registry import TASK_UTILS
from .base_flow_source import BaseFlowSource


@TASK_UTILS.register_module()
class ConstantFlow(BaseFlowSource):
    """A flow source that returns one constant displacement everywhere.

    For tests and generated sequences whose frames are known translations
    of each other: if frame t+k is frame t moved by (dx, dy) pixels (the
    pixel at (x, y) of frame t is at (x + dx, y + dy) of frame t+k), the
    true flow from t to t+k is (dx, dy) at every position. The frames
    themselves are not looked at.

    Args:
        dx (float): Horizontal displacement in pixels, positive to the
            right. Defaults to 0.
        dy (float): Vertical displacement in pixels, positive downwards.
            Defaults to 0.
        per_frame (bool): (dx, dy) is the motion from one frame to the
            next, so the flow of a pair k frames apart is k * (dx, dy)
            (k < 0 for an earlier frame); the caller passes each pair's k as
            ``frame_gaps``. Defaults to False (the same flow for any pair).
    """

    def __init__(self,
                 dx: float = 0.0,
                 dy: float = 0.0,
                 per_frame: bool = False) -> None:
        self.dx = float(dx)
        self.dy = float(dy)
        self.per_frame = bool(per_frame)

    def compute(self,
                img_t: Tensor,
                img_tk: Tensor,
                flow_paths: Optional[Sequence[str]],
                frame_gaps: Optional[Sequence[int]] = None) -> Tensor:
        """The constant flow for a batch of frame pairs.

        Args:
            img_t (Tensor): Frames t, shape (N, 3, H, W).
            img_tk (Tensor): Frames t+k (unused).
            flow_paths (Sequence[str], optional): Unused.
            frame_gaps (Sequence[int], optional): The signed gap k of each
                pair; needed with ``per_frame``.

        Returns:
            Tensor: Shape (N, 2, H, W), channel 0 = dx and channel 1 = dy.

        Raises:
            ValueError: With ``per_frame`` but no gap per pair.
        """
        num, _, height, width = img_t.shape
        scale = torch.ones(num, dtype=img_t.dtype, device=img_t.device)
        if self.per_frame:
            if frame_gaps is None or len(frame_gaps) != num:
                raise ValueError(
                    'ConstantFlow(per_frame=True) needs the frame gap of each '
                    f'of the {num} pairs (frame_gaps), got {frame_gaps}.')
            scale = torch.as_tensor(
                frame_gaps, dtype=img_t.dtype, device=img_t.device)
        flow = img_t.new_empty(num, 2, height, width, dtype=img_t.dtype)
        flow[:, 0] = self.dx * scale.view(num, 1, 1)
        flow[:, 1] = self.dy * scale.view(num, 1, 1)
        return flow
