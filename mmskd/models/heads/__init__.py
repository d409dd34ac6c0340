# Copyright (c) mmskd contributors. All rights reserved.
from .depth_bin_head import DepthBinHead
from .expected_depth import ExpectedDepth
from .surface_normal_head import SurfaceNormalHead
from .u_shape_head import UShapeHead

__all__ = ['DepthBinHead', 'ExpectedDepth', 'SurfaceNormalHead', 'UShapeHead']
