# Copyright (c) mmskd contributors. All rights reserved.
"""The Markdown report of a benchmark run, and the names it gives devices."""
import os.path as osp
import platform
from typing import Any, Dict

import torch

from .phases import PHASES

RATIO_LABELS = {
    'distill_over_floor': 'c / (a + b), medians',
    'distill_over_floor_min': 'c / (a + b), minima',
    'mmrazor_over_floor': 'd / (a + b), medians (mmrazor)',
    'mmrazor_over_floor_min': 'd / (a + b), minima (mmrazor)',
    'distill_over_mmrazor': 'c / d, medians',
}
TABLE_HEAD = ('| {first} | median ms | min ms | peak MiB | Δ MiB |',
              '| --- | ---: | ---: | ---: | ---: |')


def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model and torch's thread count.

    Args:
        device (torch.device): The benchmark's device.

    Returns:
        str: E.g. ``'CPU (AMD EPYC 7B13, 1 thread)'``.
    """
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return (f'CPU ({_cpu_model()}, '
            f"{threads} thread{'s' if threads != 1 else ''})")


def _table_head(first: str) -> list:
    return [TABLE_HEAD[0].format(first=first), TABLE_HEAD[1]]


def _row(label: str, phase: Dict[str, Any]) -> str:
    return (f"| {label} | {phase['median_ms']:.1f} | {phase['min_ms']:.1f} "
            f"| {phase['peak_mib']:.0f} | {phase['peak_delta_mib']:.0f} |")


def format_probe(probe: Dict[str, Any], meta: Dict[str, Any]) -> str:
    """The pair-wise probe's table.

    Args:
        probe (dict): From :func:`~.pairwise_probe.pairwise_probe`.
        meta (dict): The report's ``meta``.

    Returns:
        str: Markdown.
    """
    head = (f"Pair-wise loss fwd+bwd, global graph, {probe['grid'][0]}x"
            f"{probe['grid'][1]} nodes (N={probe['nodes']}), channels "
            f"{probe['channels'][0]}/{probe['channels'][1]}, batch "
            f"{probe['batch']}, {meta['device_name']}, median of "
            f"{meta['iters']} after {meta['warmup']} warm-up:")
    rows = [('Gram identity (PairWiseAffinityLoss)', probe['gram']),
            ('explicit N×N affinity', probe['explicit'])]
    lines = [head, '', *_table_head('form')]
    for label, phase in rows:
        if 'skipped' in phase:
            lines.append(f"| {label} | skipped: {phase['skipped']} | | | |")
        else:
            lines.append(_row(label, phase))
    if 'abs_diff' in probe:
        lines.append('')
        value = probe['gram']['log_vars']['loss']
        lines.append(f"|Gram − explicit| loss value: {probe['abs_diff']:.2e} "
                     f'(loss {value:.4e})')
    return '\n'.join(lines)


def format_report(report: Dict[str, Any]) -> str:
    """The Markdown tables and ratios that the benchmark tool prints.

    Args:
        report (dict): From :func:`~.runner.run_benchmark`.

    Returns:
        str: The phases' table and ratios, the probe's table, the memory
        note and the notes.
    """
    lines = []
    meta = report['meta']
    phases = report.get('phases', {})
    if phases:
        lines.append(
            f"{osp.basename(meta['config'])}: batch {meta['batch']}, "
            f"{meta['shape'][0]}x{meta['shape'][1]}, {meta['device_name']}"
            f"{', AMP ' + meta['amp_dtype'] if meta['amp'] else ', fp32'}"
            f"{', tiny models' if meta['tiny'] else ''}, median of "
            f"{meta['iters']} iterations after {meta['warmup']} warm-up, "
            f"{meta['schedule']}")
        lines.append('')
        lines.extend(_table_head('phase'))
        for key, _ in PHASES:
            if key in phases:
                lines.append(_row(phases[key]['label'], phases[key]))
        lines.append('')
        for key, value in report['ratios'].items():
            lines.append(f'{RATIO_LABELS.get(key, key)}: {value:.2f}')
    if 'pairwise_probe' in report:
        if lines:
            lines.append('')
        lines.append(format_probe(report['pairwise_probe'], meta))
    lines.append('')
    lines.append(meta['memory_note'])
    for note in report.get('notes', []):
        lines.append(f'note: {note}')
    return '\n'.join(lines)
