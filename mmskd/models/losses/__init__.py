# Copyright (c) mmskd contributors. All rights reserved.
from .channel_wise_divergence import ChannelWiseDivergence
from .motion_guided_temporal_loss import MotionGuidedTemporalLoss
from .multi_frame_dependency_loss import MultiFrameDependencyLoss
from .pair_wise_affinity_loss import PairWiseAffinityLoss
from .pair_wise_frame_affinity_loss import PairWiseFrameAffinityLoss
from .pixel_wise_divergence import PixelWiseDivergence
from .softmax_divergence import SoftmaxDivergence

__all__ = [
    'ChannelWiseDivergence', 'PairWiseAffinityLoss', 'PixelWiseDivergence',
    'SoftmaxDivergence', 'MotionGuidedTemporalLoss',
    'MultiFrameDependencyLoss', 'PairWiseFrameAffinityLoss'
]
