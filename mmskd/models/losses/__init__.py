# Copyright (c) mmskd contributors. All rights reserved.
from .affinity_distillation_loss import AffinityDistillationLoss
from .base_distill_loss import BaseDistillLoss
from .bernoulli_pixel_wise_divergence import BernoulliPixelWiseDivergence
from .channel_wise_divergence import ChannelWiseDivergence
from .cosine_normal_loss import CosineNormalLoss
from .intra_class_variation_loss import IntraClassVariationLoss
from .knowledge_adaptation_loss import KnowledgeAdaptationLoss
from .local_similarity_loss import LocalSimilarityLoss
from .motion_guided_temporal_loss import MotionGuidedTemporalLoss
from .multi_frame_dependency_loss import MultiFrameDependencyLoss
from .pair_wise_affinity_loss import PairWiseAffinityLoss
from .pair_wise_frame_affinity_loss import PairWiseFrameAffinityLoss
from .pixel_wise_divergence import PixelWiseDivergence
from .softmax_divergence import SoftmaxDivergence
from .wasserstein_terms import (gradient_penalty, normalises_over_batch,
                                wasserstein_terms)

__all__ = [
    'AffinityDistillationLoss', 'BaseDistillLoss',
    'BernoulliPixelWiseDivergence', 'ChannelWiseDivergence',
    'CosineNormalLoss',
    'IntraClassVariationLoss', 'KnowledgeAdaptationLoss',
    'LocalSimilarityLoss', 'MotionGuidedTemporalLoss',
    'MultiFrameDependencyLoss', 'PairWiseAffinityLoss',
    'PairWiseFrameAffinityLoss', 'PixelWiseDivergence', 'SoftmaxDivergence',
    'gradient_penalty', 'normalises_over_batch', 'wasserstein_terms'
]
