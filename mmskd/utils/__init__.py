# Copyright (c) mmskd contributors. All rights reserved.
from .launch import (allow_mmengine_checkpoints, enable_amp,
                     end_distributed_run, finish_distributed, load_config,
                     setup_cpu_distributed)
from .mmrazor_compat import (needs_quantization_stub,
                             patch_mmrazor_quantization_import)
from .resume import (find_resumable_checkpoint, prepare_resume,
                     read_checkpoint_meta)
from .run_logs import log_records

__all__ = [
    'allow_mmengine_checkpoints', 'enable_amp', 'end_distributed_run',
    'find_resumable_checkpoint', 'finish_distributed', 'load_config',
    'log_records', 'needs_quantization_stub',
    'patch_mmrazor_quantization_import', 'prepare_resume',
    'read_checkpoint_meta', 'setup_cpu_distributed'
]
