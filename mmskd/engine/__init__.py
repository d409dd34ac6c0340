# Copyright (c) mmskd contributors. All rights reserved.
# The guarded updates live with the models that take them
# (``mmskd.models.utils``); the engine re-exports them for its users.
from mmskd.models.utils import (BufferSnapshot, StepGuard, average_gradients,
                                check_finite_inputs, gradients_finite,
                                guarded_update, unwrap)
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403

__all__ = [
    'average_gradients', 'gradients_finite', 'guarded_update', 'unwrap',
    'BufferSnapshot', 'StepGuard', 'check_finite_inputs'
]
