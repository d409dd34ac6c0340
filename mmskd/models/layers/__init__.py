# Copyright (c) mmskd contributors. All rights reserved.
from .conv_lstm import ConvLSTM

__all__ = ['ConvLSTM']
