# Copyright (c) mmskd contributors. All rights reserved.
"""Switching autocast off, on every torch mmskd supports (2.0 to 2.13)."""
import contextlib
from typing import ContextManager

import torch


def autocast_available(device_type: str) -> bool:
    """Whether ``torch.autocast`` accepts ``device_type``.

    torch 2.4 added ``torch.amp.is_autocast_available``; before it, the
    ``torch.autocast`` constructor itself raises a RuntimeError for a device
    type without autocast (cpu, cuda, xpu, hpu and the privateuse1 backend
    have one).

    Args:
        device_type (str): A device type such as ``'cuda'`` or ``'cpu'``.

    Returns:
        bool: True if autocast exists for that device type.
    """
    is_available = getattr(torch.amp, 'is_autocast_available', None)
    if is_available is not None:
        return is_available(device_type)
    try:
        torch.autocast(device_type=device_type, enabled=False)
    except RuntimeError:
        return False
    return True


def autocast_disabled(device: torch.device) -> ContextManager:
    """A context in which autocast is off for ``device``'s type.

    Casting inputs with ``.float()`` is not enough under autocast: ops such as
    ``matmul`` would cast them back to half precision. Disabling autocast
    keeps every op in the dtype of its inputs.

    Args:
        device (torch.device): The device the computation runs on.

    Returns:
        ContextManager: ``torch.autocast(..., enabled=False)``, or a no-op
        context for device types that have no autocast.
    """
    if autocast_available(device.type):
        return torch.autocast(device_type=device.type, enabled=False)
    return contextlib.nullcontext()
