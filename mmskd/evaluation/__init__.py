# Copyright (c) mmskd contributors. All rights reserved.
"""Evaluation metrics: temporal consistency in mmskd's ``METRICS``; the
depth-metric fix in mmseg's (the scope that builds a depth config's
evaluators)."""
from .depth_metric import PatchedDepthMetric
from .metrics import *  # noqa: F401,F403

__all__ = ['PatchedDepthMetric']
