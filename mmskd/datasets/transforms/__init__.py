# Copyright (c) mmskd contributors. All rights reserved.
"""Data transforms, registered in mmseg's ``TRANSFORMS`` (the scope that
builds a segmentation or depth config's pipelines)."""
from .depth import LoadUInt16DepthAnnotation
from .multi_task import (LoadSurfaceNormals, MultiTaskRandomFlip,
                         MultiTaskRandomResize, PackMultiTaskInputs,
                         decode_normals, encode_normals)
from .placeholder_annotation import PlaceholderAnnotation
from .sequence import LoadSequenceFrames, SequencePhotoMetricDistortion
from .sequence_flow import (LoadSequenceAnnotations, LoadSequenceFlow,
                            PackSequenceInputs, SequenceRandomCrop,
                            SequenceRandomFlip, SequenceResize,
                            flip_flow_field, resize_flow_field)

__all__ = [
    'LoadUInt16DepthAnnotation', 'LoadSequenceAnnotations',
    'LoadSequenceFlow', 'LoadSequenceFrames', 'LoadSurfaceNormals',
    'MultiTaskRandomFlip', 'MultiTaskRandomResize', 'PackMultiTaskInputs',
    'PackSequenceInputs', 'decode_normals', 'encode_normals',
    'PlaceholderAnnotation', 'SequencePhotoMetricDistortion',
    'SequenceRandomCrop', 'SequenceRandomFlip', 'SequenceResize',
    'flip_flow_field', 'resize_flow_field'
]
