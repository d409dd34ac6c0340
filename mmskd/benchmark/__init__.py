# Copyright (c) mmskd contributors. All rights reserved.
"""Speed and memory of a distillation step against its floor."""
from .tiny import tiny_det_model_options, tiny_seg_model_options

__all__ = ['tiny_det_model_options', 'tiny_seg_model_options']
