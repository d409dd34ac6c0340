# Copyright (c) mmskd contributors. All rights reserved.
"""Generated data and tiny-model overrides for tests and CPU smoke runs."""
from .data import write_cityscapes_like
from .options import format_cfg_options, tiny_seg_options

__all__ = ['write_cityscapes_like', 'tiny_seg_options', 'format_cfg_options']
