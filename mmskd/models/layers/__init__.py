# Copyright (c) mmskd contributors. All rights reserved.
from .running_norm import RunningNorm2d
from .self_attention import SAGANSelfAttention

__all__ = ['RunningNorm2d', 'SAGANSelfAttention']
