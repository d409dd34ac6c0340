# Copyright (c) mmskd contributors. All rights reserved.
"""The timed phases of a benchmark, how they are run, and their ratios."""
import math
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Sequence

import torch
from mmengine.utils import ProgressBar

from .meter import MemoryMeter

# Phase key -> label, in the order of the report. The floor of any
# distillation step is (a) + (b): what it cannot avoid.
PHASES = (
    ('student_step', '(a) student train step alone'),
    ('teacher_forward', '(b) teacher forward (no_grad)'),
    ('distill_step', '(c) distillation step'),
    ('mmrazor_step', '(d) mmrazor distillation step'),
)
PHASE_LABELS = dict(PHASES)


def log_floats(output: Any) -> Dict[str, float]:
    """The scalar entries of a step's output (e.g. ``train_step``'s logs).

    Args:
        output (Any): What the step returned.

    Returns:
        dict[str, float]: Its one-element tensors and numbers by key; empty
        if it is not a dict.
    """
    if not isinstance(output, dict):
        return {}
    floats = {}
    for key, value in output.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (int, float)):
            floats[key] = float(value)
    return floats


class Phase:
    """One thing to time: a label and a step returning optional log vars.

    Args:
        key (str): The phase's key in the report.
        label (str): Its row label.
        step (Callable[[], Any]): One call of what is timed.
    """

    def __init__(self, key: str, label: str, step: Callable[[], Any]) -> None:
        self.key = key
        self.label = label
        self.step = step
        self.times: List[float] = []
        self.peak = 0.0
        self.delta = 0.0
        self.output: Any = None

    def result(self) -> Dict[str, Any]:
        """The phase's figures.

        Returns:
            dict: ``label``, ``times_ms``, ``median_ms``, ``min_ms``,
            ``peak_mib``, ``peak_delta_mib`` and ``log_vars`` (the floats
            the last call returned).
        """
        return dict(
            label=self.label,
            times_ms=[round(t, 3) for t in self.times],
            median_ms=statistics.median(self.times),
            min_ms=min(self.times),
            peak_mib=self.peak,
            peak_delta_mib=self.delta,
            log_vars=log_floats(self.output))


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def measure(
    phases: Sequence[Phase],
    iters: int,
    warmup: int,
    device: torch.device,
    meter: MemoryMeter,
    interleave: bool = True,
    log: Callable[[str], None] = lambda message: None,
    progress: bool = False
) -> Dict[str, Dict[str, Any]]:
    """Run each phase ``warmup + iters`` times; time the last ``iters``.

    Interleaved (the default), round r runs every phase once, in order, so
    that load from other processes on a shared machine hits all phases alike
    and their ratios stay meaningful; sequential runs all iterations of one
    phase before the next. Every call is synchronised (CUDA) and metered;
    a phase's peak is the largest over its calls, warm-up included (so
    first-step allocations such as optimizer state count).

    Args:
        phases (Sequence[Phase]): What to time.
        iters (int): Timed calls per phase.
        warmup (int): Untimed calls before them.
        device (torch.device): Where the phases run.
        meter (MemoryMeter): The memory meter of ``device``.
        interleave (bool): Interleaved rounds rather than one phase after
            the other.
        log (Callable[[str], None]): Progress messages.
        progress (bool): Show mmengine's progress bar over all calls, on
            stderr (stdout keeps the report). Defaults to False.

    Returns:
        dict: :meth:`Phase.result` by phase key.
    """
    rounds = range(warmup + iters)
    if interleave:
        schedule = [(r, phase) for r in rounds for phase in phases]
    else:
        schedule = [(r, phase) for phase in phases for r in rounds]
    bar = ProgressBar(len(schedule), file=sys.stderr) if progress else None
    for round_index, phase in schedule:
        if round_index == 0:
            log(f'{phase.label} ...')
        meter.start(settle=round_index < warmup)
        _synchronize(device)
        begin = time.perf_counter()
        phase.output = phase.step()
        _synchronize(device)
        elapsed = (time.perf_counter() - begin) * 1e3
        peak, delta = meter.stop()
        phase.peak = max(phase.peak, peak)
        phase.delta = max(phase.delta, delta)
        if round_index >= warmup:
            phase.times.append(elapsed)
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    return {phase.key: phase.result() for phase in phases}


def ratio(numerator: float, *denominators: float) -> float:
    """numerator / sum(denominators)."""
    return numerator / sum(denominators)


def compute_ratios(phases: Dict[str, Dict[str, Any]]) -> Dict[str, float]:
    """c / (a + b) (and d / (a + b), c / d) from the reported times.

    Args:
        phases (dict): Phase results by key, with ``median_ms`` and
            ``min_ms``; ``mmrazor_step`` is optional.

    Returns:
        dict[str, float]: The finite ratios by name (``RATIO_LABELS`` of
        :mod:`.report`).
    """
    a, b, c = (
        phases[k] for k in ('student_step', 'teacher_forward', 'distill_step'))
    ratios = dict(
        distill_over_floor=ratio(c['median_ms'], a['median_ms'],
                                 b['median_ms']),
        distill_over_floor_min=ratio(c['min_ms'], a['min_ms'], b['min_ms']))
    if 'mmrazor_step' in phases:
        d = phases['mmrazor_step']
        ratios['mmrazor_over_floor'] = ratio(d['median_ms'], a['median_ms'],
                                             b['median_ms'])
        ratios['mmrazor_over_floor_min'] = ratio(d['min_ms'], a['min_ms'],
                                                 b['min_ms'])
        ratios['distill_over_mmrazor'] = ratio(c['median_ms'], d['median_ms'])
    return {k: v for k, v in ratios.items() if math.isfinite(v)}
