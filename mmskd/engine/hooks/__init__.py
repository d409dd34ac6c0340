# Copyright (c) mmskd contributors. All rights reserved.
from .random_state_hook import (RandomStateHook, capture_random_states,
                                restore_random_states)

__all__ = [
    'RandomStateHook', 'capture_random_states', 'restore_random_states'
]
