# Copyright (c) mmskd contributors. All rights reserved.
"""Build a config's algorithm once and time its phases (``run_once``)."""
import copy
import math
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from .base_benchmark import (BaseBenchmark, autocast, checked_device,
                             init_weights)
from .config import (enable_cuda_amp, prepare_model_cfg,
                     student_optim_wrapper_cfg)
from .meter import MemoryMeter
from .mmrazor_counterpart import build_mmrazor_counterpart, mmrazor_counterpart
from .pairwise_probe import pairwise_probe
from .phases import PHASE_LABELS, compute_ratios
from .report import device_name
from .tasks import task_of

if TYPE_CHECKING:
    from mmskd.models.utils import InputScales


class DistillStepBenchmark(BaseBenchmark):
    """The phases of a distillation config on one synthetic batch.

    (a) the student's train step alone (its own optimizer wrapper), (b) the
    teacher's forward as the algorithm runs it (``no_grad``; ``mode=
    'tensor'`` or ``extract_feat``), (c) the algorithm's ``train_step`` with
    the config's optimizer wrapper(s), and (d) optionally mmrazor's
    counterpart (:mod:`.mmrazor_counterpart`). Any task of ``TASKS`` (the
    student's head decides) and any algorithm with a ``train_step`` work
    alike.

    Args:
        config (str): The distillation config file.
        shape (Sequence[int]): (height, width) of the synthetic images.
        batch (int): Images per batch.
        amp (bool): Mixed precision (bf16 autocast on CPU; fp16 with
            ``AmpOptimWrapper`` on CUDA).
        tiny (bool): Shrink the models to the ``--tiny`` preset.
        cfg_options (dict, optional): Overrides, merged after ``tiny``.
        compare_mmrazor (bool): Also time phase (d).
        **kwargs: Passed to :class:`BaseBenchmark`.
    """

    def __init__(self,
                 config: str,
                 shape: Sequence[int],
                 batch: int,
                 amp: bool = False,
                 tiny: bool = False,
                 cfg_options: Optional[dict] = None,
                 compare_mmrazor: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        from mmengine.registry import MODELS, init_default_scope

        import mmskd  # noqa: F401  (registers mmskd, patches mmrazor)
        from mmskd.models.utils import load_model_cfg
        cfg = Config.fromfile(config)
        task = task_of(
            load_model_cfg(cfg.model.architecture), str(cfg.model.type))
        if tiny:
            cfg.merge_from_dict(task.tiny_options(cfg, shape))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        for note in prepare_model_cfg(cfg, shape):
            self.note(note)
        if self.device.type == 'cuda':
            env_cfg = cfg.get('env_cfg') or {}
            torch.backends.cudnn.benchmark = bool(
                env_cfg.get('cudnn_benchmark', False))
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        torch.manual_seed(0)
        self.log('building the algorithm ...')
        algorithm = MODELS.build(cfg.model)
        init_weights(algorithm)
        self.meta: Dict[str, Any] = dict(
            task=task.name, algorithm=type(algorithm).__name__)
        data = task.synthetic_batch(batch, shape,
                                    task.num_classes(algorithm.student))
        razor = self._build_mmrazor(cfg, algorithm) \
            if compare_mmrazor else None
        algorithm.to(self.device).train()
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        student_cfg, self.meta['student_optim_wrapper'] = \
            student_optim_wrapper_cfg(cfg)
        if amp and self.device.type == 'cuda':
            enable_cuda_amp(optim_cfg)
            enable_cuda_amp(student_cfg)
        # On CUDA the AmpOptimWrapper autocasts the train steps itself.
        self.cpu_amp = amp and self.device.type == 'cpu'
        self.amp = amp
        self._add_distill_steps(algorithm, data, task.student_batch(data),
                                optim_cfg, student_cfg)
        if razor is not None:
            self._add_mmrazor_step(razor, data, student_cfg)

    def _add_distill_steps(self, algorithm: torch.nn.Module, data: dict,
                           student_data: dict, optim_cfg: dict,
                           student_cfg: dict) -> None:
        """Phases (a) (on ``student_data``), (b) and (c) (on ``data``)."""
        from mmengine.optim import build_optim_wrapper
        device, amp, cpu_amp = self.device, self.amp, self.cpu_amp
        student, teacher = algorithm.student, algorithm.teacher

        student_wrapper = build_optim_wrapper(student, student_cfg)
        # A student at its own resolution (input_scales): the floor's
        # networks see the batch at the sizes the distillation step gives.
        scales = getattr(algorithm, 'input_scales', None)

        def student_step():
            with autocast(device, cpu_amp):
                return scaled_train_step(student, student_data,
                                         student_wrapper, scales)

        self.add_step('student_step', PHASE_LABELS['student_step'],
                      student_step)

        teacher_mode = getattr(algorithm, 'teacher_forward', 'tensor')
        with torch.no_grad():
            processed = algorithm.data_preprocessor(copy.deepcopy(data), True)
        inputs, samples = processed['inputs'], processed['data_samples']
        if inputs.dim() == 5:  # (N, L, 3, H, W): the teacher sees each frame
            inputs, samples = inputs.flatten(0, 1), None
        if scales is not None:
            inputs = scales.for_training('teacher', inputs)

        def teacher_step():
            with torch.no_grad(), autocast(device, amp):
                if teacher_mode == 'extract_feat':
                    teacher.extract_feat(inputs)
                else:
                    teacher(inputs, samples, mode='tensor')

        how = 'extract_feat' if teacher_mode == 'extract_feat' \
            else "mode='tensor'"
        self.add_step('teacher_forward',
                      f"{PHASE_LABELS['teacher_forward'][:-1]}, {how})",
                      teacher_step)

        optim_wrapper = build_optim_wrapper(algorithm, optim_cfg)
        self.meta['optim_wrapper'] = type(optim_wrapper).__name__
        if hasattr(optim_wrapper, 'optim_wrappers'):
            self.meta['optim_wrapper_keys'] = list(
                optim_wrapper.optim_wrappers)

        def distill_step():
            with autocast(device, cpu_amp):
                return algorithm.train_step(data, optim_wrapper)

        self.add_step(
            'distill_step', f"{PHASE_LABELS['distill_step']} "
            f"({self.meta['algorithm']}.train_step)", distill_step)

    def _build_mmrazor(
            self, cfg: Config,
            algorithm: torch.nn.Module) -> Optional[torch.nn.Module]:
        """mmrazor's counterpart of the algorithm, or None if it has none."""
        razor_cfg, notes = mmrazor_counterpart(cfg.model, algorithm)
        for note in notes:
            self.note(note)
        if razor_cfg is None:
            return None
        self.log(f"building {razor_cfg['type']} ...")
        self.meta['mmrazor_algorithm'] = razor_cfg['type']
        self.meta['mmrazor_losses'] = {
            k: dict(v)
            for k, v in razor_cfg['distiller']['distill_losses'].items()
        }
        return build_mmrazor_counterpart(razor_cfg, algorithm)

    def _add_mmrazor_step(self, razor: torch.nn.Module, data: dict,
                          student_cfg: dict) -> None:
        """Phase (d), with the student's optimizer wrapper."""
        from mmengine.optim import build_optim_wrapper
        razor.to(self.device).train()
        razor_wrapper = build_optim_wrapper(razor, student_cfg)

        def razor_step():
            with autocast(self.device, self.cpu_amp):
                return razor.train_step(data, razor_wrapper)

        self.add_step(
            'mmrazor_step', f"{PHASE_LABELS['mmrazor_step']} "
            f"({self.meta['mmrazor_algorithm']})", razor_step)

    def run_once(self) -> Dict[str, Any]:
        """Time the phases once.

        Returns:
            dict: ``phases`` (results by key) and ``ratios``; a phase whose
            last step logged a non-finite value gets a note.
        """
        phases = super().run_once()
        for key, phase in phases.items():
            bad = [
                k for k, v in phase['log_vars'].items() if not math.isfinite(v)
            ]
            if bad:
                self.note(f'{key}: non-finite {bad} in the last step '
                          '(timing stands).')
        return dict(phases=phases, ratios=compute_ratios(phases))


def run_benchmark(config: Optional[str],
                  shape: Sequence[int] = (512, 1024),
                  batch: int = 2,
                  device: str = 'cpu',
                  iters: int = 20,
                  warmup: int = 5,
                  amp: bool = False,
                  tiny: bool = False,
                  cfg_options: Optional[dict] = None,
                  compare_mmrazor: bool = False,
                  interleave: bool = True,
                  pairwise: bool = False,
                  probe_grid: Sequence[int] = (64, 128),
                  probe_channels: Sequence[int] = (128, 512),
                  log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Measure the phases of a config and/or the pair-wise probe.

    See ``tools/analysis_tools/benchmark.py --help`` for the arguments.

    Returns:
        dict: The report that ``--out`` writes as JSON: ``meta``,
        ``notes`` and, as asked, ``phases`` and ``ratios``
        (:class:`DistillStepBenchmark`) and ``pairwise_probe``.
    """
    if iters < 1 or warmup < 0 or batch < 1:
        raise ValueError('--iters and --batch must be >= 1, --warmup >= 0.')
    torch_device = checked_device(device)
    meter = MemoryMeter(torch_device)
    report: Dict[str, Any] = dict(notes=[])
    report['meta'] = dict(
        config=config,
        shape=list(shape),
        batch=batch,
        device=device,
        device_name=device_name(torch_device),
        iters=iters,
        warmup=warmup,
        schedule='interleaved' if interleave else 'sequential',
        amp=amp,
        amp_dtype='bfloat16' if torch_device.type == 'cpu' else 'float16',
        tiny=tiny,
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        memory_method=meter.method,
        memory_note=meter.note)
    if config is not None:
        bench = DistillStepBenchmark(
            config,
            shape,
            batch,
            amp,
            tiny,
            cfg_options,
            compare_mmrazor,
            device=device,
            iters=iters,
            warmup=warmup,
            interleave=interleave,
            log=log)
        report['notes'] = bench.notes
        report.update(bench.run_once())
        report['meta'].update(bench.meta)
    if pairwise:
        log(f'pair-wise probe: {probe_grid[0]}x{probe_grid[1]} nodes ...')
        report['pairwise_probe'] = pairwise_probe(probe_grid, probe_channels,
                                                  batch, torch_device, iters,
                                                  warmup, meter)
    return report


def scaled_train_step(
        student: torch.nn.Module, data: dict, optim_wrapper: OptimWrapper,
        scales: Optional['InputScales']) -> Dict[str, torch.Tensor]:
    """``student.train_step`` with the batch at the student's scale.

    Args:
        student (nn.Module): The student.
        data (dict): A batch from the dataloader.
        optim_wrapper (OptimWrapper): The student's optimizer wrapper.
        scales (InputScales, optional): The algorithm's input scales; None
            for an algorithm without them.

    Returns:
        dict: The log variables.
    """
    if scales is None or scales.is_identity('student'):
        return student.train_step(data, optim_wrapper)
    with optim_wrapper.optim_context(student):
        data = student.data_preprocessor(data, True)
        inputs = scales.for_training('student', data['inputs'])
        losses = student(inputs, data['data_samples'], mode='loss')
    parsed, log_vars = student.parse_losses(losses)
    optim_wrapper.update_params(parsed)
    return log_vars
