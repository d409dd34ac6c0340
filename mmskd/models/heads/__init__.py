# Copyright (c) mmskd contributors. All rights reserved.
from .auxiliary_module_head import AuxiliaryModuleHead
from .depth_bin_head import DepthBinHead
from .expected_depth import ExpectedDepth

__all__ = ['AuxiliaryModuleHead', 'DepthBinHead', 'ExpectedDepth']
