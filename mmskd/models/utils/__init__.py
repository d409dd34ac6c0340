# Copyright (c) mmskd contributors. All rights reserved.
from .architecture import (build_architecture, load_model_cfg,
                           resolve_config_path)
from .checkpoint import load_teacher_checkpoint
from .gradients import all_finite, average_gradients, frozen, unwrap
from .precision import autocast_available, autocast_disabled

__all__ = [
    'build_architecture', 'load_model_cfg', 'resolve_config_path',
    'load_teacher_checkpoint', 'all_finite', 'average_gradients', 'frozen',
    'unwrap', 'autocast_available', 'autocast_disabled'
]
