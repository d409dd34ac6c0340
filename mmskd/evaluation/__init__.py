# Copyright (c) mmskd contributors. All rights reserved.
"""Evaluation metrics: temporal consistency in mmskd's ``METRICS``; the
depth-metric fix and the surface normal metric in mmseg's (the scope that
builds a depth or multi-task config's evaluators)."""
from .depth_metric import PatchedDepthMetric
from .metrics import *  # noqa: F401,F403
from .surface_normal_metric import SurfaceNormalMetric

__all__ = ['PatchedDepthMetric', 'SurfaceNormalMetric']
