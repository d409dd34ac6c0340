# Copyright (c) mmskd contributors. All rights reserved.
"""What every benchmark shares: the device, autocast, the models' weights,
and timed steps built once (``BaseBenchmark.run_once``)."""
import contextlib
import logging
from typing import Any, Callable, ContextManager, Dict, List, Tuple

import torch

from .meter import MemoryMeter
from .phases import Phase, measure


def checked_device(device: str) -> torch.device:
    """The torch device, refusing CUDA where torch sees none.

    Args:
        device (str): ``'cpu'`` or ``'cuda'``.

    Returns:
        torch.device: The device.
    """
    torch_device = torch.device(device)
    if torch_device.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError(
            '--device cuda, but torch sees no CUDA device: use --device cpu, '
            'or install a CUDA build of torch on a machine with a GPU.')
    return torch_device


def autocast(device: torch.device, enabled: bool) -> ContextManager:
    """bfloat16 autocast on CPU, float16 on CUDA, or nothing.

    Args:
        device (torch.device): Where the step runs.
        enabled (bool): Whether to autocast at all.

    Returns:
        ContextManager: The autocast context.
    """
    if not enabled:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if device.type == 'cpu' else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def init_weights(model: torch.nn.Module) -> None:
    """``model.init_weights()``, as the Runner calls it before training.

    Args:
        model (nn.Module): The model, initialised in place.

    Without it, e.g. RetinaNet's classifier lacks its prior bias: focal loss
    starts near 700 and the repeated steps diverge to NaN. mmengine logs
    every parameter's initialisation at INFO level; that is held back.
    """
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


class BaseBenchmark:
    """Timed steps, built once, measured by :meth:`run_once`.

    Subclasses build the models and register their steps with
    :meth:`add_step`; each :meth:`run_once` times all of them afresh.

    Args:
        device (str): ``'cpu'`` or ``'cuda'``.
        iters (int): Timed calls per step.
        warmup (int): Untimed calls before them.
        interleave (bool): One call of each step per round, so that load
            from other processes hits all steps alike, rather than all calls
            of one step after the other.
        log (Callable[[str], None]): Progress messages.
    """

    def __init__(self,
                 device: str,
                 iters: int,
                 warmup: int,
                 interleave: bool = True,
                 log: Callable[[str], None] = print) -> None:
        self.device = checked_device(device)
        self.iters, self.warmup, self.interleave = iters, warmup, interleave
        self.log = log
        self.meter = MemoryMeter(self.device)
        self.notes: List[str] = []
        self._steps: List[Tuple[str, str, Callable[[], Any]]] = []

    def note(self, note: str) -> None:
        """Keep a note for the report and log it.

        Args:
            note (str): The note.
        """
        self.notes.append(note)
        self.log(f'note: {note}')

    def add_step(self, key: str, label: str, step: Callable[[], Any]) -> None:
        """Register one step to time (see :class:`~.phases.Phase`).

        Args:
            key (str): The step's key in the report.
            label (str): Its label.
            step (Callable): One call of the step.
        """
        self._steps.append((key, label, step))

    def run_once(self) -> Dict[str, Dict[str, Any]]:
        """Time every step once over ``warmup + iters`` calls.

        Returns:
            dict: :meth:`~.phases.Phase.result` by step key.
        """
        phases = [Phase(*step) for step in self._steps]
        return measure(
            phases,
            self.iters,
            self.warmup,
            self.device,
            self.meter,
            self.interleave,
            self.log,
            progress=True)
