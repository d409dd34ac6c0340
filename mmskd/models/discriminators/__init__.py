# Copyright (c) mmskd contributors. All rights reserved.
from .gradient_penalty import (critic_scores, gradient_penalty,
                               wasserstein_critic_terms)
from .holistic_discriminator import HolisticDiscriminator
from .self_attention import SAGANSelfAttention

__all__ = [
    'HolisticDiscriminator', 'SAGANSelfAttention', 'gradient_penalty',
    'critic_scores', 'wasserstein_critic_terms'
]
