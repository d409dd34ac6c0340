# Copyright (c) mmskd contributors. All rights reserved.
from .conv_lstm import ConvLSTM
from .running_norm import RunningNorm2d
from .self_attention import SAGANSelfAttention

__all__ = ['ConvLSTM', 'RunningNorm2d', 'SAGANSelfAttention']
