# Copyright (c) mmskd contributors. All rights reserved.
from .channel_wise_divergence import ChannelWiseDivergence
from .intra_class_variation_loss import IntraClassVariationLoss
from .local_similarity_loss import LocalSimilarityLoss
from .pair_wise_affinity_loss import PairWiseAffinityLoss
from .pixel_wise_divergence import PixelWiseDivergence
from .softmax_divergence import SoftmaxDivergence

__all__ = [
    'ChannelWiseDivergence', 'IntraClassVariationLoss', 'LocalSimilarityLoss',
    'PairWiseAffinityLoss', 'PixelWiseDivergence', 'SoftmaxDivergence'
]
