# Copyright (c) mmskd contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .step_guard import BufferSnapshot, StepGuard, check_finite_inputs
from .updates import (average_gradients, gradients_finite, guarded_update,
                      unwrap)

__all__ = [
    'average_gradients', 'gradients_finite', 'guarded_update', 'unwrap',
    'BufferSnapshot', 'StepGuard', 'check_finite_inputs'
]
