# Copyright (c) mmskd contributors. All rights reserved.
"""Evaluation metrics, registered in mmseg's ``METRICS`` (the scope that
builds a segmentation or depth config's evaluators)."""
from .depth_metric import PatchedDepthMetric

__all__ = ['PatchedDepthMetric']
