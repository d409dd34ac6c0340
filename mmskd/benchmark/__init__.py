# Copyright (c) mmskd contributors. All rights reserved.
"""Speed and memory of a distillation step against its floor.

The floor of any distillation step is what it cannot avoid: one train step
of the student plus one forward of the teacher. ``tools/analysis_tools/
benchmark.py`` measures, in one process and on one synthetic batch of the
config's task (segmentation or detection),

- (a) the student's train step alone (``student.train_step`` with its own
  optimizer wrapper),
- (b) the teacher's forward (``no_grad``; ``mode='tensor'``, or
  ``extract_feat`` when the algorithm's ``teacher_forward`` says so),
- (c) the full distillation step (``algorithm.train_step`` with the
  config's optimizer wrapper(s), so an adversarial critic update is
  included when the algorithm has one),
- (d) optionally mmrazor's ``SingleTeacherDistill`` (or
  ``FpnTeacherDistill``) with the losses mmrazor has,

and reports c / (a + b) (and d / (a + b)). By default the phases are
interleaved (each round runs a, b, c, d once), so that load from other
processes on a shared machine hits every phase alike. Memory is the peak of
each call (:class:`MemoryMeter`).

Modules: ``meter`` (memory), ``phases`` (timing and ratios), ``tasks``
(synthetic batches per task), ``tiny`` (the ``--tiny`` preset), ``config``
(fitting a config to one process), ``mmrazor_counterpart`` (phase d),
``pairwise_probe`` (the Gram form against N x N), ``report`` (Markdown),
``base_benchmark`` (timed steps built once, the device and autocast) and
``runner`` (``DistillStepBenchmark.run_once`` and ``run_benchmark``).
"""
from .base_benchmark import BaseBenchmark
from .meter import MemoryMeter
from .mmrazor_counterpart import MMRAZOR_LOSSES, mmrazor_counterpart
from .pairwise_probe import pairwise_probe
from .phases import Phase, compute_ratios, measure
from .report import format_report
from .runner import DistillStepBenchmark, run_benchmark
from .tasks import (TASKS, synthetic_depth_batch, synthetic_det_batch,
                    synthetic_seg_batch, synthetic_sequence_batch, task_of)
from .tiny import tiny_det_model_options, tiny_seg_model_options

__all__ = [
    'MemoryMeter', 'MMRAZOR_LOSSES', 'mmrazor_counterpart', 'pairwise_probe',
    'Phase', 'compute_ratios', 'measure', 'format_report', 'BaseBenchmark',
    'DistillStepBenchmark', 'run_benchmark', 'TASKS', 'synthetic_depth_batch',
    'synthetic_det_batch', 'synthetic_seg_batch', 'synthetic_sequence_batch',
    'task_of', 'tiny_det_model_options', 'tiny_seg_model_options'
]
