# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's EncoderDecoder trained for network slimming."""
from typing import List

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

from .slimming import bn_scale_l1


# In mmseg's registry, as mmseg's segmentors: its parts build there.
@MODELS.register_module()
class SlimmingEncoderDecoder(EncoderDecoder):
    """An EncoderDecoder whose loss adds network slimming's sparsity term,
    ``sparsity_weight`` times the L1 norm of the BN scales inside its
    backbone's BasicBlocks (``loss_bn_l1``), the channels
    ``tools/model_converters/slim_resnet.py`` prunes.

    Args:
        sparsity_weight (float): Slimming's lambda. Defaults to 1e-4 (Liu
            et al.'s for ImageNet).
        **kwargs: mmseg's ``EncoderDecoder`` arguments.
    """

    def __init__(self, sparsity_weight: float = 1e-4, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sparsity_weight = sparsity_weight

    def loss(self, inputs: Tensor, data_samples: List) -> dict:
        """mmseg's losses and ``loss_bn_l1``."""
        losses = super().loss(inputs, data_samples)
        losses['loss_bn_l1'] = self.sparsity_weight * bn_scale_l1(
            self.backbone)
        return losses
