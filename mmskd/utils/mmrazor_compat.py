# Copyright (c) mmskd contributors. All rights reserved.
"""Make mmrazor 1.0.0's distillation code importable on torch >= 2.1.

Why: ``import mmrazor.models`` imports ``mmrazor.structures``, whose package
``__init__`` star-imports ``mmrazor.structures.quantization``. That package
reads ``torch.ao.nn.quantized.reference`` names at import time which torch
2.1 removed, so the whole import chain fails (open-mmlab/mmrazor#615, #632,
unanswered; mmrazor 1.0.0 is the last release).

What: before mmrazor is imported, put a stand-in module under that one name in
``sys.modules``. Everything mmskd uses (algorithms, distillers, recorders,
connectors, losses) never touches quantization; code that does gets an
ImportError that says why, instead of a crash at import time.

When to drop: once a fixed mmrazor release exists, or torch < 2.1 is the
newest torch we support. mmrazor's files on disk are never modified.
"""
import sys
import types

import torch
from mmengine.utils import digit_version

QUANTIZATION_MODULE = 'mmrazor.structures.quantization'
FIRST_BROKEN_TORCH = '2.1.0'


def _unavailable(name: str) -> type:
    """Build a placeholder class that raises when it is used."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            f'mmrazor quantization ({name}) is unavailable: mmrazor 1.0.0\'s '
            f'quantization structures do not import on torch '
            f'{torch.__version__} (>= {FIRST_BROKEN_TORCH}), so mmskd '
            'replaced them with a stand-in. Use torch 2.0 for mmrazor '
            'quantization.')

    return type(name, (), {'__init__': __init__})


def needs_quantization_stub(torch_version: str = torch.__version__) -> bool:
    """Whether mmrazor 1.0.0's quantization package fails on this torch.

    Args:
        torch_version (str): The torch version to check.

    Returns:
        bool: True for torch >= 2.1.
    """
    return digit_version(torch_version) >= digit_version(FIRST_BROKEN_TORCH)


def patch_mmrazor_quantization_import() -> bool:
    """Install the stand-in for ``mmrazor.structures.quantization``.

    It does nothing on torch < 2.1, or when the real module is already loaded.

    Returns:
        bool: True if the stand-in was installed by this call or earlier.
    """
    loaded = sys.modules.get(QUANTIZATION_MODULE)
    if loaded is not None:
        return getattr(loaded, '__mmskd_stub__', False)
    if not needs_quantization_stub():
        return False
    stub = types.ModuleType(QUANTIZATION_MODULE)
    stub.__doc__ = __doc__
    stub.__mmskd_stub__ = True
    stub.__all__ = []
    # The two names mmrazor's quantizers import from this package.
    stub.BackendConfigs = {}
    stub.QConfigHandler = _unavailable('QConfigHandler')
    sys.modules[QUANTIZATION_MODULE] = stub
    return True
