# Copyright (c) mmskd contributors. All rights reserved.
from .launch import (allow_mmengine_checkpoints, enable_amp,
                     finish_distributed, load_config, setup_cpu_distributed)
from .mmrazor_compat import (needs_quantization_stub,
                             patch_mmrazor_quantization_import)

__all__ = [
    'allow_mmengine_checkpoints', 'enable_amp', 'finish_distributed',
    'load_config',
    'needs_quantization_stub', 'patch_mmrazor_quantization_import',
    'setup_cpu_distributed'
]
