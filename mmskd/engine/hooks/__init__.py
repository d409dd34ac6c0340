# Copyright (c) mmskd contributors. All rights reserved.
from .random_state_hook import (RandomStateHook, capture_random_states,
                                restore_random_states)
from .sync_norm_buffers_hook import SyncNormBuffersHook, training_buffers

__all__ = [
    'RandomStateHook', 'capture_random_states', 'restore_random_states',
    'SyncNormBuffersHook', 'training_buffers'
]
