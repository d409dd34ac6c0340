# Copyright (c) mmskd contributors. All rights reserved.
from .depth_bin_head import DepthBinHead

__all__ = ['DepthBinHead']
