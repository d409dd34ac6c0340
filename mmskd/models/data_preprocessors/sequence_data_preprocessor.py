# Copyright (c) mmskd contributors. All rights reserved.
"""Preprocess channel-stacked frame sequences one frame at a time."""
from typing import Any, Dict

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor, nn

from mmskd.registry import MODELS


@MODELS.register_module()
class SequenceDataPreProcessor(BaseDataPreprocessor):
    """Run a segmentor's data preprocessor on each frame of a sequence.

    A sequence sample's image holds its L frames stacked on the channel axis
    (3 * L channels, see ``LoadSequenceFrames``). Each frame is handed to the
    wrapped per-frame preprocessor (mmseg's ``SegDataPreProcessor``: BGR to
    RGB, normalisation, padding of images and labels to the batch size) with
    the same data samples, so all frames get one padding; padding a label
    that is already padded is a no-op, so the repeated calls leave the
    samples as one call would. 3-channel inputs pass through unchanged.

    Args:
        frame_preprocessor (nn.Module): The per-frame preprocessor, e.g. the
            student's ``data_preprocessor``.
    """

    def __init__(self, frame_preprocessor: nn.Module) -> None:
        super().__init__()
        self.frame_preprocessor = frame_preprocessor

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess a batch of images or of frame sequences.

        Args:
            data (dict): ``inputs`` (a list of (3 * L, H, W) tensors) and
                ``data_samples`` from the dataloader.
            training (bool): Training-time preprocessing. Defaults to False.

        Returns:
            dict: ``inputs`` of shape (N, L, 3, H, W) for sequences (or
            (N, 3, H, W) for images) and the data samples.

        Raises:
            ValueError: If an input's channels are not a multiple of 3.
        """
        inputs = data['inputs']
        channels = inputs[0].shape[0]
        if channels == 3:
            return self.frame_preprocessor(data, training)
        if channels % 3 or any(x.shape[0] != channels for x in inputs):
            raise ValueError(
                'SequenceDataPreProcessor expects 3 channels per frame and '
                'one frame count per batch, but got inputs of '
                f'{[x.shape[0] for x in inputs]} channels.')
        frames = []
        for start in range(0, channels, 3):
            out = self.frame_preprocessor(
                dict(
                    inputs=[x[start:start + 3] for x in inputs],
                    data_samples=data.get('data_samples')), training)
            frames.append(out['inputs'])
        return dict(
            inputs=torch.stack(frames, dim=1),
            data_samples=out['data_samples'])

    def unit_range(self, frames: Tensor) -> Tensor:
        """Undo the normalisation: frames in [0, 1], RGB as the model sees.

        Args:
            frames (Tensor): Normalised frames of shape (..., 3, H, W).

        Returns:
            Tensor: The frames scaled to [0, 1] (clamped).
        """
        pre = self.frame_preprocessor
        if not getattr(pre, '_enable_normalize', False):
            return (frames / 255).clamp(0, 1)
        return ((frames * pre.std + pre.mean) / 255).clamp(0, 1)
