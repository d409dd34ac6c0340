# Copyright (c) mmskd contributors. All rights reserved.
from .bernoulli_pixel_wise_divergence import BernoulliPixelWiseDivergence
from .channel_wise_divergence import ChannelWiseDivergence
from .pair_wise_affinity_loss import PairWiseAffinityLoss
from .pixel_wise_divergence import PixelWiseDivergence
from .softmax_divergence import SoftmaxDivergence
from .wasserstein_terms import (gradient_penalty, normalises_over_batch,
                                wasserstein_terms)

__all__ = [
    'BernoulliPixelWiseDivergence', 'ChannelWiseDivergence',
    'PairWiseAffinityLoss', 'PixelWiseDivergence', 'SoftmaxDivergence', 'gradient_penalty', 'normalises_over_batch',
    'wasserstein_terms'
]
