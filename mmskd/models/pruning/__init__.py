# Copyright (c) mmskd contributors. All rights reserved.
from .pruned_resnet import PrunedResNetV1c
from .slimming import (basic_blocks, bn_scale_l1, select_channels,
                       slim_state_dict)
from .slimming_encoder_decoder import SlimmingEncoderDecoder

__all__ = [
    'PrunedResNetV1c', 'SlimmingEncoderDecoder', 'basic_blocks',
    'bn_scale_l1', 'select_channels', 'slim_state_dict'
]
