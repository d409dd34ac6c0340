# Copyright (c) mmskd contributors. All rights reserved.
from .gradient_penalty import (gradient_penalty, normalises_over_batch,
                               wasserstein_critic_terms)
from .holistic_discriminator import HolisticDiscriminator
from .self_attention import SAGANSelfAttention

__all__ = [
    'HolisticDiscriminator', 'SAGANSelfAttention', 'gradient_penalty',
    'normalises_over_batch', 'wasserstein_critic_terms'
]
