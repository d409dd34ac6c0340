# Copyright (c) mmskd contributors. All rights reserved.
"""Analysis of distillation pairs (parameters and FLOPs)."""
from .complexity import (config_complexity, config_input_shape,
                         format_complexity, inference_network,
                         model_complexity, pair_complexity)

__all__ = [
    'config_complexity', 'config_input_shape', 'format_complexity',
    'inference_network', 'model_complexity', 'pair_complexity'
]
