# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's ``DepthEstimator`` with its test-mode dispatch fixed."""
from typing import List

from mmseg.models.segmentors import DepthEstimator
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class PatchedDepthEstimator(DepthEstimator):
    """``DepthEstimator`` whose ``test_cfg.mode='slide'`` slides.

    In mmseg 1.2.2, ``DepthEstimator.inference``
    (``mmseg/models/segmentors/depth_estimator.py`` lines 324-329) tests
    ``mode == 'slide'`` in one ``if`` and then ``mode == 'slide_flip'`` in a
    second ``if`` whose ``else`` runs ``whole_inference``,
    so 'slide' runs the sliding windows, then throws them away for a
    whole-image forward (the second ``if`` should be an ``elif``). Worse,
    ``slide_inference`` has by then set ``img_shape`` in the first image's
    meta to the crop size, so the whole-image depth comes back at the crop
    size (e.g. 480x480 for a 480x640 NYU image), which ``predict`` stretches
    back to the original shape: a config asking for slide inference gets a
    resampled whole-image result at the cost of both.
    Here 'slide' returns the sliding-window depth; 'whole' and 'slide_flip',
    which mmseg dispatches correctly, are left to it. Everything else is
    mmseg's ``DepthEstimator``: use ``type='PatchedDepthEstimator'`` in its
    place. It is registered in mmseg's scope, like the estimator it fixes,
    so that its backbone and head configs resolve there as usual.
    """

    def inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Depth by sliding windows, whole image or sliding flip.

        Args:
            inputs (Tensor): Images of shape (N, 3, H, W).
            batch_img_metas (list[dict]): Image meta information.

        Returns:
            Tensor: The depth maps, (N, C, H, W).
        """
        if self.test_cfg.get('mode', 'whole') == 'slide':
            return self.slide_inference(inputs, batch_img_metas)
        return super().inference(inputs, batch_img_metas)
