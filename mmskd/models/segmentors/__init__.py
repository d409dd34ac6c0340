# Copyright (c) mmskd contributors. All rights reserved.
from .depth_estimator import PatchedDepthEstimator

__all__ = ['PatchedDepthEstimator']
