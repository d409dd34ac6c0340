# Copyright (c) mmskd contributors. All rights reserved.
from .channel_wise_divergence import ChannelWiseDivergence
from .pair_wise_affinity_loss import PairWiseAffinityLoss
from .pixel_wise_divergence import PixelWiseDivergence
from .softmax_divergence import SoftmaxDivergence

__all__ = [
    'ChannelWiseDivergence', 'PairWiseAffinityLoss', 'PixelWiseDivergence',
    'SoftmaxDivergence'
]
