# Copyright (c) mmskd contributors. All rights reserved.
"""Deploying a distilled student (``tools/deployment/``): ONNX export with a
parity check against PyTorch (:mod:`.onnx_export`), adaptive pooling that
ONNX can express (:mod:`.static_pooling`).

Nothing here is registered, so ``import mmskd`` need not import it.
"""
from .onnx_export import (DetectorForExport, SegmentorForExport,
                          UnsupportedOperatorError, example_inputs,
                          export_onnx, for_export, init_student,
                          onnx_difference, student_config, student_state_dict)
from .static_pooling import (StaticAdaptiveAvgPool2d, bin_edges,
                             static_adaptive_pools)

__all__ = [
    'DetectorForExport', 'SegmentorForExport', 'UnsupportedOperatorError',
    'example_inputs', 'export_onnx', 'for_export', 'init_student',
    'onnx_difference', 'student_config', 'student_state_dict',
    'StaticAdaptiveAvgPool2d', 'bin_edges', 'static_adaptive_pools'
]
