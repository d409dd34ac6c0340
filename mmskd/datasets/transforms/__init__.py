# Copyright (c) mmskd contributors. All rights reserved.
"""Data transforms, registered in mmseg's ``TRANSFORMS`` (the scope that
builds a segmentation or depth config's pipelines)."""
from .depth import LoadUInt16DepthAnnotation
from .placeholder_annotation import PlaceholderAnnotation
from .sequence import LoadSequenceFrames, SequencePhotoMetricDistortion

__all__ = [
    'LoadUInt16DepthAnnotation', 'LoadSequenceFrames',
    'PlaceholderAnnotation', 'SequencePhotoMetricDistortion'
]
