# Copyright (c) mmskd contributors. All rights reserved.
"""The interface of a flow source: motion between two frames, training only.

A flow source gives the temporal terms (and the TC metric) the optical flow
from frame t to frame t+k. It is frozen and only used at training (and
evaluation) time: the flow never ships with the student.

That is guaranteed by construction rather than by convention: a flow source
is **not** an :class:`torch.nn.Module`. Assigning one to an attribute of an
algorithm or a distiller therefore registers nothing: a flow network held
inside it is not a submodule, so its weights are in no ``state_dict`` (no
checkpoint, no exported student), in no ``parameters()`` (no optimizer, no
DDP gradient synchronisation), and ``model.to(device)`` or ``model.train()``
do not reach it. Sources move their network to the frames' device
themselves and always run it in eval mode under ``torch.no_grad``.
"""
from typing import Optional, Sequence

import torch
from torch import Tensor

from .warp import check_flow


class BaseFlowSource:
    """Base class of the flow sources.

    Subclasses implement :meth:`compute`; calling the source checks the
    frames and the flow it returns.
    """

    #: Whether the flow comes with the data rather than from the frames:
    #: in training the packed ``gt_flow`` of the samples (read and augmented
    #: by the pipeline), at evaluation the samples' flow files.
    flow_from_data: bool = False

    def __call__(self,
                 img_t: Tensor,
                 img_tk: Tensor,
                 flow_paths: Optional[Sequence[str]] = None,
                 frame_gaps: Optional[Sequence[int]] = None,
                 given_flow: Optional[Tensor] = None) -> Tensor:
        """The flow from frame t to frame t+k for a batch of frame pairs.

        Args:
            img_t (Tensor): Frames t, shape (N, 3, H, W).
            img_tk (Tensor): Frames t+k, shape (N, 3, H, W).
            flow_paths (Sequence[str], optional): One flow file per pair,
                for sources that read precomputed flow. Defaults to None.
            frame_gaps (Sequence[int], optional): The signed frame gap k of
                each pair, for synthetic sources whose motion is per frame.
                Defaults to None.
            given_flow (Tensor, optional): The flow the data samples carry,
                (N, 2, H, W), for sources whose flow comes with the data
                (:attr:`flow_from_data`). Defaults to None.

        Returns:
            Tensor: The flow of shape (N, 2, H, W), float32, on ``img_t``'s
            device, without gradient; channel 0 is dx, channel 1 dy, in
            pixels (see :mod:`mmskd.models.flow.warp`).

        Raises:
            ValueError: If the frames differ in shape or are not 4-D, or the
                source returns a flow that does not fit them.
        """
        if img_t.dim() != 4 or img_t.shape != img_tk.shape:
            raise ValueError(
                f'{type(self).__name__} expects two batches of frames of the '
                f'same shape (N, 3, H, W), but got {tuple(img_t.shape)} and '
                f'{tuple(img_tk.shape)}.')
        with torch.no_grad():
            # Sources written before ``frame_gaps`` existed take 3 arguments,
            # and only data-flow sources take ``given_flow``.
            if given_flow is not None:
                flow = self.compute(
                    img_t, img_tk, flow_paths, frame_gaps,
                    given_flow=given_flow)
            elif frame_gaps is None:
                flow = self.compute(img_t, img_tk, flow_paths)
            else:
                flow = self.compute(img_t, img_tk, flow_paths, frame_gaps)
        check_flow(flow, img_t.shape[-2:], img_t.shape[0],
                   f'the flow of {type(self).__name__}')
        return flow.detach().float().to(img_t.device)

    def compute(self,
                img_t: Tensor,
                img_tk: Tensor,
                flow_paths: Optional[Sequence[str]],
                frame_gaps: Optional[Sequence[int]] = None) -> Tensor:
        """Compute the flow; see :meth:`__call__` for the arguments.

        Args:
            img_t (Tensor): Frames t, shape (N, 3, H, W).
            img_tk (Tensor): Frames t+k, shape (N, 3, H, W).
            flow_paths (Sequence[str], optional): One flow file per pair.
            frame_gaps (Sequence[int], optional): The signed gap k of each
                pair.

        Returns:
            Tensor: The flow of shape (N, 2, H, W).
        """
        raise NotImplementedError
