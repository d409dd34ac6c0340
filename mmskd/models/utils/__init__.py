# Copyright (c) mmskd contributors. All rights reserved.
from .architecture import load_model_cfg, resolve_config_path
from .checkpoint import load_teacher_checkpoint
from .families import SUPPORTED_FAMILIES, check_pair_families, model_family
from .frozen import frozen
from .input_scales import InputScales
from .labelled_loss import labelled_task_loss
from .precision import autocast_available, autocast_disabled
from .step_guard import BufferSnapshot, StepGuard, check_finite_inputs
from .updates import (average_gradients, gradients_finite, guarded_update,
                      unwrap)
from .wrapper_names import drop_wrapper_names, keep_unwrapped_names

__all__ = [
    'load_model_cfg', 'resolve_config_path', 'load_teacher_checkpoint',
    'SUPPORTED_FAMILIES', 'check_pair_families', 'model_family', 'frozen',
    'InputScales', 'labelled_task_loss', 'autocast_available',
    'autocast_disabled', 'BufferSnapshot', 'StepGuard', 'check_finite_inputs',
    'average_gradients', 'gradients_finite', 'guarded_update', 'unwrap',
    'drop_wrapper_names', 'keep_unwrapped_names'
]
