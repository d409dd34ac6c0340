# Copyright (c) mmskd contributors. All rights reserved.
"""A known synthetic flow: every pixel moves by the same displacement."""
from typing import Optional, Sequence

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
    """

    def __init__(self, dx: float = 0.0, dy: float = 0.0) -> None:
        self.dx = float(dx)
        self.dy = float(dy)

    def compute(self, img_t: Tensor, img_tk: Tensor,
                flow_paths: Optional[Sequence[str]]) -> Tensor:
        """The constant flow for a batch of frame pairs.

        Args:
            img_t (Tensor): Frames t, shape (N, 3, H, W).
            img_tk (Tensor): Frames t+k (unused).
            flow_paths (Sequence[str], optional): Unused.

        Returns:
            Tensor: Shape (N, 2, H, W), channel 0 = dx and channel 1 = dy.
        """
        num, _, height, width = img_t.shape
        flow = img_t.new_empty(num, 2, height, width, dtype=img_t.dtype)
        flow[:, 0] = self.dx
        flow[:, 1] = self.dy
        return flow
