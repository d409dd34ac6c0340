# Copyright (c) mmskd contributors. All rights reserved.
"""Mixed precision on machines without a GPU."""
from typing import Union

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmskd.registry import OPTIM_WRAPPERS


def disabled_grad_scaler() -> 'torch.cuda.amp.GradScaler':
    """A GradScaler that does nothing, on any torch from 2.0.

    ``torch.amp.GradScaler`` (torch >= 2.3) takes a device; before it, only
    the CUDA one existed, which is device-free when disabled.
    """
    if hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler('cpu', enabled=False)
    return torch.cuda.amp.GradScaler(enabled=False)


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that also runs on CPU, in bfloat16.

    mmengine's wrapper asserts a GPU-like device. On CPU, autocast computes in
    bfloat16, which has float32's exponent range, so no loss scaling is
    needed: the scaler is disabled and ``step`` is a plain optimizer step.
    ``tools/train.py --amp`` picks this wrapper when CUDA is unavailable, so
    mixed-precision configs can be tried and tested on CPU.

    Args:
        loss_scale (str | float | dict): Accepted for config compatibility
            with ``AmpOptimWrapper`` and ignored (no scaling in bfloat16).
        dtype (str | torch.dtype): Autocast dtype. Defaults to bfloat16.
        **kwargs: ``OptimWrapper`` arguments.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype] = torch.bfloat16,
                 **kwargs) -> None:
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = disabled_grad_scaler()
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype
