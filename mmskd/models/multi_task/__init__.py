# Copyright (c) mmskd contributors. All rights reserved.
"""Hard-parameter-sharing multi-task networks (thesis App. A): the network,
its task weightings and the shared ASPP of the "context" network."""
from .aspp_neck import ASPPNeck
from .multi_task_encoder_decoder import MultiTaskEncoderDecoder
from .task_weights import (FixedTaskWeights, UncertaintyTaskWeights,
                           scale_losses)

__all__ = [
    'ASPPNeck', 'MultiTaskEncoderDecoder', 'FixedTaskWeights',
    'UncertaintyTaskWeights', 'scale_losses'
]
