# Copyright (c) mmskd contributors. All rights reserved.
"""Speed and memory of a distillation step against its floor.

The floor of any distillation step is what it cannot avoid: one train step
of the student plus one forward of the teacher. ``tools/benchmark.py``
measures, in one process and on one synthetic batch,

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
each call: on CUDA ``torch.cuda.max_memory_allocated`` (reset before the
call); on CPU the process's peak resident set size (``VmHWM``, reset through
``/proc/self/clear_refs``), which is coarse: it counts every page the
allocator holds, not only live tensors.

This module is imported by path (``mmskd.utils.benchmark``) and is not part
of the public ``mmskd.utils`` API.
"""
import contextlib
import copy
import ctypes
import gc
import math
import os
import os.path as osp
import platform
import resource
import statistics
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.utils import ProgressBar

from .launch import optim_wrapper_entries, replace_sync_bn

MiB = 2**20
GiB = 2**30

PHASES = (
    ('student_step', '(a) student train step alone'),
    ('teacher_forward', '(b) teacher forward (no_grad)'),
    ('distill_step', '(c) distillation step'),
    ('mmrazor_step', '(d) mmrazor distillation step'),
)

# Peak memory of the explicit N x N pair-wise loss (fwd + bwd) in units of
# one float32 N x N matrix per sample: the two affinity matrices, their
# difference, its square and the gradients. Measured 5.0 on CPU (64 x 128
# nodes); rounded up so that the estimate errs on the safe side.
EXPLICIT_PAIRWISE_MATRICES = 6

RESIDENT_NOTE = (
    'Peaks are per call and include everything resident in the process: '
    'the models (with --compare-mmrazor a second student and teacher) and '
    'the optimizer states of all phases; Δ is the peak above the start of '
    'the call, so compare phases by Δ.')
CPU_MEMORY_NOTE = (
    'CPU memory is the peak RSS of the process (VmHWM, reset before each '
    'call). It is coarse: it counts every page the allocator holds, and Δ '
    'misses memory a call reuses from freed but not returned pages (freed '
    'heap is returned to the OS before warm-up calls only). ' + RESIDENT_NOTE)
CUDA_MEMORY_NOTE = (
    'CUDA memory is torch.cuda.max_memory_allocated (live tensors), reset '
    'before each call. ' + RESIDENT_NOTE)


# --------------------------------------------------------------------------
# Timing and memory
# --------------------------------------------------------------------------
def _read_status_kib(field: str) -> Optional[int]:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/self/status, or None."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        return True
    except OSError:
        return False


def _trim_malloc() -> None:
    """Give freed heap memory back to the OS (glibc), so RSS means live."""
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _ru_maxrss_kib() -> int:
    """Lifetime peak RSS in KiB (ru_maxrss is in bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == 'darwin' else peak


class MemoryMeter:
    """Peak memory of one call on CUDA (allocated) or CPU (peak RSS)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.is_cuda = device.type == 'cuda'
        if self.is_cuda:
            self.method = 'torch.cuda.max_memory_allocated'
        elif _reset_peak_rss() and _read_status_kib('VmHWM') is not None:
            self.method = 'VmHWM (/proc/self/clear_refs reset)'
        else:
            self.method = 'ru_maxrss (lifetime peak; Δ only when it grows)'
        self._base = 0

    def start(self, settle: bool = False) -> None:
        """Start a measurement.

        Args:
            settle (bool): Collect garbage first and, on CPU, give freed heap
                pages back to the OS, so that the RSS at the start counts
                live memory only. Done on warm-up calls only: the freed pages
                would be faulted in again inside a timed call.
        """
        if settle:
            gc.collect()
        if self.is_cuda:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        elif self.method.startswith('VmHWM'):
            if settle:
                _trim_malloc()
            _reset_peak_rss()
            self._base = _read_status_kib('VmRSS') * 1024
        else:
            self._base = _ru_maxrss_kib() * 1024

    def stop(self) -> Tuple[float, float]:
        """Return (peak MiB, peak above the start in MiB)."""
        if self.is_cuda:
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        elif self.method.startswith('VmHWM'):
            peak = _read_status_kib('VmHWM') * 1024
        else:
            peak = _ru_maxrss_kib() * 1024
        return peak / MiB, max(peak - self._base, 0) / MiB


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


class Phase:
    """One thing to time: a label and a step returning optional log vars."""

    def __init__(self, key: str, label: str, step: Callable[[], Any]) -> None:
        self.key = key
        self.label = label
        self.step = step
        self.times: List[float] = []
        self.peak = 0.0
        self.delta = 0.0
        self.output: Any = None

    def result(self) -> Dict[str, Any]:
        return dict(
            label=self.label,
            times_ms=[round(t, 3) for t in self.times],
            median_ms=statistics.median(self.times),
            min_ms=min(self.times),
            peak_mib=self.peak,
            peak_delta_mib=self.delta,
            log_vars=_log_floats(self.output))


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
    first-step allocations such as optimizer state count). ``progress``
    shows mmengine's progress bar over all calls, on stderr (stdout keeps
    the report).

    Returns:
        dict: Per phase key: ``label``, ``times_ms``, ``median_ms``,
        ``min_ms``, ``peak_mib``, ``peak_delta_mib`` and ``log_vars`` (the
        floats the last call returned).
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


def _log_floats(output: Any) -> Dict[str, float]:
    if not isinstance(output, dict):
        return {}
    floats = {}
    for key, value in output.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (int, float)):
            floats[key] = float(value)
    return floats


def ratio(numerator: float, *denominators: float) -> float:
    """numerator / sum(denominators)."""
    return numerator / sum(denominators)


# --------------------------------------------------------------------------
# Config preparation
# --------------------------------------------------------------------------
def tiny_distill_options(cfg: Config, shape: Sequence[int]) -> Dict[str, Any]:
    """The ``model.*`` keys of :func:`mmskd.testing.tiny_seg_options`."""
    from mmskd.testing import tiny_seg_options
    options = tiny_seg_options(cfg, data_root='', image_size=tuple(shape))
    return {k: v for k, v in options.items() if k.startswith('model.')}


def _fix_input_size(preprocessor: Optional[dict],
                    shape: Sequence[int]) -> None:
    """Make the data preprocessor pad to exactly ``shape`` (i.e. not pad)."""
    if not isinstance(preprocessor, dict) or not str(
            preprocessor.get('type', '')).endswith('SegDataPreProcessor'):
        return
    preprocessor['size'] = tuple(shape)
    if preprocessor.get('size_divisor') is not None:
        preprocessor['size_divisor'] = None


def prepare_model_cfg(cfg: Config, shape: Sequence[int]) -> List[str]:
    """Expand the student/teacher references and fit them to the benchmark.

    ``architecture`` and ``teacher`` become full model dicts (the same that
    mmrazor gets), their data preprocessors pad to the synthetic image size
    (so that nothing is padded), SyncBN becomes BN, and a teacher checkpoint
    URL that is not in the torch hub cache is dropped.

    Returns:
        list[str]: Notes for the report.
    """
    from mmskd.models.utils import load_model_cfg
    notes = []
    model = cfg.model
    for role in ('architecture', 'teacher'):
        if isinstance(model.get(role), dict):
            model[role] = load_model_cfg(model[role])
            _fix_input_size(model[role].get('data_preprocessor'), shape)
    student = model.get('architecture')
    if isinstance(student, dict) and 'decode_head' not in student:
        raise NotImplementedError(
            'tools/benchmark.py generates segmentation batches (images and '
            'label maps for an mmseg segmentor); the student of this config '
            f"is a {student.get('type')} without a decode_head.")
    _fix_input_size(model.get('data_preprocessor'), shape)
    changed = replace_sync_bn(model)
    if changed:
        notes.append(f'{changed} SyncBN norm configs built as BN '
                     '(single-process benchmark).')
    note = drop_offline_teacher_ckpt(cfg)
    if note:
        notes.append(note)
    return notes


def drop_offline_teacher_ckpt(cfg: Config) -> Optional[str]:
    """Set ``model.teacher_ckpt=None`` for a URL not in the hub cache."""
    ckpt = cfg.model.get('teacher_ckpt')
    if not isinstance(ckpt, str) or '://' not in ckpt:
        return None
    cached = osp.join(torch.hub.get_dir(), 'checkpoints',
                      osp.basename(ckpt.split('?')[0]))
    if osp.isfile(cached):
        return None
    cfg.model.teacher_ckpt = None
    return (f'teacher_ckpt {ckpt} is not in the download cache ({cached}); '
            'set to None (random teacher weights; timing does not need real '
            'weights).')


def student_optim_wrapper_cfg(cfg: Config) -> Tuple[dict, str]:
    """The optimizer wrapper config the student trains with.

    The config's own wrapper when it is a single one, the ``architecture``
    entry of a per-module wrapper config, otherwise mmseg's SGD.
    """
    optim_wrapper = copy.deepcopy(cfg.get('optim_wrapper') or {})
    if 'constructor' not in optim_wrapper and 'optimizer' in optim_wrapper:
        optim_wrapper.pop('paramwise_cfg', None)
        return optim_wrapper, 'config optim_wrapper'
    sub = optim_wrapper.get('architecture')
    if isinstance(sub, dict) and 'optimizer' in sub:
        sub = copy.deepcopy(sub)
        sub.pop('paramwise_cfg', None)
        return sub, 'config optim_wrapper.architecture'
    return dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD', lr=0.01, momentum=0.9,
            weight_decay=0.0005)), 'SGD(lr=0.01, momentum=0.9, wd=5e-4)'


def enable_cuda_amp(optim_wrapper: dict) -> None:
    """Turn the (possibly per-module) wrapper configs into AmpOptimWrapper.

    Args:
        optim_wrapper (dict): An ``optim_wrapper`` config, changed in place.
    """
    for wrapper in optim_wrapper_entries(optim_wrapper):
        if wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
            wrapper['type'] = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')


# --------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------
def synthetic_seg_batch(batch: int,
                        shape: Sequence[int],
                        num_classes: int,
                        seed: int = 0) -> Dict[str, list]:
    """A batch as mmseg's ``PackSegInputs`` + collate would produce it.

    Args:
        batch (int): Number of images.
        shape (Sequence[int]): (height, width).
        num_classes (int): Labels are drawn from [0, num_classes).
        seed (int): Seed of the generator.

    Returns:
        dict: ``inputs`` (uint8 (3, H, W) tensors) and ``data_samples``
        (``SegDataSample`` with ``gt_sem_seg`` and image metainfo).
    """
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    height, width = shape
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(
            torch.randint(
                0,
                256, (3, height, width),
                dtype=torch.uint8,
                generator=generator))
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(
            data=torch.randint(
                0, num_classes, (1, height, width), generator=generator))
        sample.set_metainfo(
            dict(
                ori_shape=(height, width),
                img_shape=(height, width),
                pad_shape=(height, width),
                scale_factor=(1.0, 1.0),
                flip=False,
                flip_direction=None,
                reduce_zero_label=False))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def num_classes_of(student: torch.nn.Module) -> int:
    head = getattr(student, 'decode_head', None)
    if head is None or not hasattr(head, 'num_classes'):
        raise NotImplementedError(
            'tools/benchmark.py generates segmentation batches; the student '
            f'({type(student).__name__}) has no decode_head.num_classes.')
    return int(head.num_classes)


# --------------------------------------------------------------------------
# The mmrazor counterpart
# --------------------------------------------------------------------------
def _registered(registry, name: str) -> bool:
    return name in registry.module_dict


def _recorded_channels(algorithm, mapping: dict, recorders: dict,
                       role: str) -> Optional[int]:
    """Channels of a recorded module output (conv ``out_channels``)."""
    if mapping.get('connector') or mapping.get('data_idx') is not None:
        return None
    recorder = (recorders or {}).get(mapping.get('recorder'))
    if not recorder or recorder.get(
            'type', '').split('.')[-1] not in ('ModuleOutputs',
                                               'ModuleOutputsRecorder'):
        return None
    model = algorithm.student if role == 'student' else algorithm.teacher
    module = dict(model.named_modules()).get(recorder.get('source'))
    channels = getattr(module, 'out_channels', None)
    return int(channels) if isinstance(channels, int) else None


def mmrazor_counterpart(model_cfg: ConfigDict,
                        algorithm) -> Tuple[Optional[dict], List[str]]:
    """mmrazor's algorithm with the same models, recorders and the losses
    mmrazor has.

    mmskd's ``ChannelWiseDivergence`` is ``mmrazor.ChannelWiseDivergence``
    (same value); ``PixelWiseDivergence(tau, loss_weight=w)`` equals
    ``mmrazor.KLDivergence(tau, reduction='mean', loss_weight=w * C)`` (the
    mean over N*C*H*W times C is the per-pixel mean of the class KL). Terms
    without an mmrazor counterpart (pair-wise, holistic) are left out with
    a note.

    Returns:
        tuple: The algorithm config (None if no loss is left) and notes.
    """
    from mmrazor.registry import MODELS as RAZOR_MODELS

    from mmskd.registry import MODELS as SKD_MODELS
    notes = []
    distiller = copy.deepcopy(dict(model_cfg.distiller))
    losses = distiller.get('distill_losses') or {}
    mappings = distiller.get('loss_forward_mappings') or {}
    connectors = {}
    for name, connector in (distiller.get('connectors') or {}).items():
        cfgs = connector if isinstance(connector, list) else [connector]
        types = [c.get('type', '') for c in cfgs]
        if all(_in_mmrazor(t, RAZOR_MODELS, SKD_MODELS) for t in types):
            connectors[name] = _to_mmrazor_type(connector)
        else:
            notes.append(f'connector {name!r} ({types}) is not mmrazor\'s; '
                         'losses using it are left out.')
    kept_losses, kept_mappings = {}, {}
    for name, loss in losses.items():
        loss_type = loss.get('type', '')
        short = loss_type.split('.')[-1]
        mapping = mappings.get(name, {})
        used = {m.get('connector') for m in mapping.values()} - {None}
        if used - set(connectors):
            continue
        scope = loss_type.split('.')[0] if '.' in loss_type else None
        if scope in (None, 'mmskd') and _registered(SKD_MODELS, short):
            new_loss, note = _map_mmskd_loss(name, loss, mapping, algorithm,
                                             distiller)
        elif _in_mmrazor(loss_type, RAZOR_MODELS, SKD_MODELS):
            new_loss, note = dict(loss, type='mmrazor.' + short), None
        else:
            new_loss, note = None, (f'{name} ({loss_type}): no mmrazor '
                                    'counterpart; left out.')
        if note:
            notes.append(note)
        if new_loss is not None:
            kept_losses[name] = new_loss
            kept_mappings[name] = mapping
    if model_cfg.get('discriminator'):
        notes.append('holistic term (discriminator and critic step): mmrazor '
                     'has no adversarial distillation; left out.')
    if not kept_losses:
        notes.append('mmrazor comparison skipped: none of the distillation '
                     'losses has an mmrazor counterpart.')
        return None, notes
    algorithm_type = 'mmrazor.SingleTeacherDistill'
    if getattr(algorithm, 'teacher_forward', 'tensor') == 'extract_feat':
        algorithm_type = 'mmrazor.FpnTeacherDistill'
        notes.append('teacher_forward=extract_feat: compared with mmrazor\'s '
                     'FpnTeacherDistill (teacher backbone + neck).')
    razor_distiller = dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=distiller.get('student_recorders'),
        teacher_recorders=distiller.get('teacher_recorders'),
        distill_losses=kept_losses,
        loss_forward_mappings=kept_mappings)
    if connectors:
        razor_distiller['connectors'] = connectors
    if distiller.get('distill_deliveries'):
        razor_distiller['distill_deliveries'] = distiller['distill_deliveries']
    cfg = dict(
        type=algorithm_type,
        architecture=copy.deepcopy(model_cfg.architecture),
        teacher=copy.deepcopy(model_cfg.teacher),
        teacher_ckpt=None,
        calculate_student_loss=model_cfg.get('calculate_student_loss', True),
        distiller=razor_distiller)
    return cfg, notes


def _in_mmrazor(type_name: str, razor_models, skd_models) -> bool:
    scope, _, short = type_name.rpartition('.')
    if scope == 'mmrazor':
        return True
    if scope in ('', 'mmskd') and _registered(skd_models, short):
        return False
    return scope == '' and _registered(razor_models, short)


def _to_mmrazor_type(connector: Any) -> Any:
    if isinstance(connector, list):
        return [_to_mmrazor_type(c) for c in connector]
    short = connector['type'].split('.')[-1]
    return dict(connector, type='mmrazor.' + short)


def _map_mmskd_loss(name: str, loss: dict, mapping: dict, algorithm,
                    distiller: dict) -> Tuple[Optional[dict], Optional[str]]:
    short = loss['type'].split('.')[-1]
    tau = loss.get('tau', 1.0)
    weight = loss.get('loss_weight', 1.0)
    if loss.get('resize_student'):
        return None, (f'{name} ({short}, resize_student=True): mmrazor\'s '
                      'loss does not resize; left out.')
    if short == 'ChannelWiseDivergence':
        return dict(
            type='mmrazor.ChannelWiseDivergence', tau=tau,
            loss_weight=weight), None
    if short == 'PixelWiseDivergence':
        channels = None
        for arg, role in (('preds_T', 'teacher'), ('preds_S', 'student')):
            if arg in mapping:
                channels = _recorded_channels(
                    algorithm, mapping[arg],
                    distiller.get(f'{role}_recorders'), role)
            if channels:
                break
        if not channels:
            return None, (f'{name} (PixelWiseDivergence): the class count '
                          'of the recorded maps is unknown, so no '
                          'mmrazor.KLDivergence of equal value; left out.')
        razor_loss = dict(
            type='mmrazor.KLDivergence',
            tau=tau,
            reduction='mean',
            loss_weight=weight * channels)
        if not _same_value(loss, razor_loss, channels):
            return None, (f'{name} (PixelWiseDivergence): '
                          'mmrazor.KLDivergence does not give the same '
                          'value here; left out.')
        return razor_loss, (
            f'{name} (PixelWiseDivergence) -> mmrazor.KLDivergence('
            f"reduction='mean', loss_weight={weight}*{channels}): "
            'equal value.')
    return None, f'{name} ({short}): no mmrazor counterpart; left out.'


def _same_value(loss: dict, razor_loss: dict, channels: int) -> bool:
    """Whether the mmskd loss and its mmrazor stand-in agree on a sample."""
    from mmengine.registry import DefaultScope
    from mmrazor.registry import MODELS as RAZOR_MODELS

    from mmskd.registry import MODELS as SKD_MODELS
    generator = torch.Generator().manual_seed(0)
    preds_S, preds_T = torch.randn(
        2, 2, channels, 3, 5, generator=generator).unbind(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with DefaultScope.overwrite_default_scope('mmskd'):
            ours = SKD_MODELS.build(dict(loss))(preds_S, preds_T)
        with DefaultScope.overwrite_default_scope('mmrazor'):
            theirs = RAZOR_MODELS.build(razor_loss)(preds_S, preds_T)
    return torch.allclose(ours.float(), theirs.float(), rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------
# Pair-wise memory probe
# --------------------------------------------------------------------------
def explicit_pairwise_loss(preds_S: torch.Tensor,
                           preds_T: torch.Tensor) -> torch.Tensor:
    """The fully connected pair-wise loss through n x n affinity matrices."""
    nodes_S = F.normalize(preds_S, p=2, dim=1).flatten(2)
    nodes_T = F.normalize(preds_T.detach(), p=2, dim=1).flatten(2)
    aff_S = nodes_S.transpose(1, 2).bmm(nodes_S)
    aff_T = nodes_T.transpose(1, 2).bmm(nodes_T)
    return (aff_S - aff_T).square().mean()


def _available_bytes(device: torch.device) -> int:
    if device.type == 'cuda':
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open('/proc/meminfo') as meminfo:
            for line in meminfo:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_AVPHYS_PAGES')


def pairwise_probe(grid: Sequence[int], channels: Sequence[int], batch: int,
                   device: torch.device, iters: int, warmup: int,
                   meter: MemoryMeter) -> Dict[str, Any]:
    """Time and memory of the global pair-wise loss: Gram vs. N x N.

    Both compute the same value on random (N, C, h, w) student/teacher
    features with node size 1 (node grid = feature grid). The explicit
    form is run only where ``EXPLICIT_PAIRWISE_MATRICES`` N x N float32
    matrices per sample fit in half the available memory.
    """
    from mmskd.models.losses import PairWiseAffinityLoss
    height, width = grid
    channels_S, channels_T = channels
    generator = torch.Generator().manual_seed(0)
    preds_S = torch.randn(
        batch, channels_S, height, width,
        generator=generator).to(device).requires_grad_()
    preds_T = torch.randn(
        batch, channels_T, height, width, generator=generator).to(device)
    gram_loss = PairWiseAffinityLoss(node_size=1, connection_range=None)
    num_nodes = height * width

    def step(loss_fn):

        def run():
            preds_S.grad = None
            loss = loss_fn(preds_S, preds_T)
            loss.backward()
            return dict(loss=loss.detach())

        return run

    result = dict(
        grid=[height, width],
        nodes=num_nodes,
        channels=[channels_S, channels_T],
        batch=batch)
    result['gram'] = measure([Phase('gram', 'Gram identity', step(gram_loss))],
                             iters, warmup, device, meter)['gram']
    need = EXPLICIT_PAIRWISE_MATRICES * batch * num_nodes**2 * 4
    available = _available_bytes(device)
    result['explicit_estimate_gib'] = need / GiB
    if need > available / 2:
        result['explicit'] = dict(
            skipped=f'would need {need / GiB:.1f} GiB '
            f'(about {EXPLICIT_PAIRWISE_MATRICES} x {batch} x {num_nodes}² '
            f'float32), {available / GiB:.1f} GiB available')
        return result
    result['explicit'] = measure(
        [Phase('explicit', 'explicit', step(explicit_pairwise_loss))], iters,
        warmup, device, meter)['explicit']
    gram_value = result['gram']['log_vars']['loss']
    explicit_value = result['explicit']['log_vars']['loss']
    result['abs_diff'] = abs(gram_value - explicit_value)
    return result


def format_probe(probe: Dict[str, Any], meta: Dict[str, Any]) -> str:
    head = (f"Pair-wise loss fwd+bwd, global graph, {probe['grid'][0]}x"
            f"{probe['grid'][1]} nodes (N={probe['nodes']}), channels "
            f"{probe['channels'][0]}/{probe['channels'][1]}, batch "
            f"{probe['batch']}, {meta['device_name']}, median of "
            f"{meta['iters']} after {meta['warmup']} warm-up:")
    rows = [('Gram identity (PairWiseAffinityLoss)', probe['gram']),
            ('explicit N×N affinity', probe['explicit'])]
    lines = [
        head, '', '| form | median ms | min ms | peak MiB | Δ MiB |',
        '| --- | ---: | ---: | ---: | ---: |'
    ]
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


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------
def _row(label: str, phase: Dict[str, Any]) -> str:
    return (f"| {label} | {phase['median_ms']:.1f} | {phase['min_ms']:.1f} "
            f"| {phase['peak_mib']:.0f} | {phase['peak_delta_mib']:.0f} |")


def format_report(report: Dict[str, Any]) -> str:
    """The Markdown tables and ratios printed by ``tools/benchmark.py``."""
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
        lines.append('| phase | median ms | min ms | peak MiB | Δ MiB |')
        lines.append('| --- | ---: | ---: | ---: | ---: |')
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


RATIO_LABELS = {
    'distill_over_floor': 'c / (a + b), medians',
    'distill_over_floor_min': 'c / (a + b), minima',
    'mmrazor_over_floor': 'd / (a + b), medians (mmrazor)',
    'mmrazor_over_floor_min': 'd / (a + b), minima (mmrazor)',
    'distill_over_mmrazor': 'c / d, medians',
}


def _autocast(device: torch.device, enabled: bool):
    if not enabled:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if device.type == 'cpu' else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _device_name(device: torch.device) -> str:
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return (f'CPU ({_cpu_model()}, '
            f"{threads} thread{'s' if threads != 1 else ''})")


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
    """Measure the phases of a config (and/or the pair-wise probe).

    See ``tools/benchmark.py --help`` for the arguments. Returns the report
    that ``--out`` writes as JSON.
    """
    if iters < 1 or warmup < 0 or batch < 1:
        raise ValueError('--iters and --batch must be >= 1, --warmup >= 0.')
    torch_device = torch.device(device)
    if torch_device.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda, but torch sees no CUDA device.')
    meter = MemoryMeter(torch_device)
    report: Dict[str, Any] = dict(notes=[])
    report['meta'] = dict(
        config=config,
        shape=list(shape),
        batch=batch,
        device=device,
        device_name=_device_name(torch_device),
        iters=iters,
        warmup=warmup,
        schedule='interleaved' if interleave else 'sequential',
        amp=amp,
        amp_dtype='bfloat16' if torch_device.type == 'cpu' else 'float16',
        tiny=tiny,
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        memory_method=meter.method,
        memory_note=CUDA_MEMORY_NOTE
        if torch_device.type == 'cuda' else CPU_MEMORY_NOTE)
    if config is not None:
        _benchmark_config(report, config, shape, batch, torch_device, iters,
                          warmup, amp, tiny, cfg_options, compare_mmrazor,
                          interleave, meter, log)
    if pairwise:
        log(f'pair-wise probe: {probe_grid[0]}x{probe_grid[1]} nodes ...')
        report['pairwise_probe'] = pairwise_probe(probe_grid, probe_channels,
                                                  batch, torch_device, iters,
                                                  warmup, meter)
    return report


def _benchmark_config(report, config, shape, batch, device, iters, warmup, amp,
                      tiny, cfg_options, compare_mmrazor, interleave, meter,
                      log) -> None:
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, DefaultScope, init_default_scope

    import mmskd  # noqa: F401  (registers mmskd, patches mmrazor's import)
    notes = report['notes']
    cfg = Config.fromfile(config)
    if tiny:
        cfg.merge_from_dict(tiny_distill_options(cfg, shape))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    for note in prepare_model_cfg(cfg, shape):
        notes.append(note)
        log(f'note: {note}')
    env_cfg = cfg.get('env_cfg') or {}
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = bool(
            env_cfg.get('cudnn_benchmark', False))
    cpu_amp = amp and device.type == 'cpu'
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    student_cfg, student_cfg_source = student_optim_wrapper_cfg(cfg)
    if amp and device.type == 'cuda':
        enable_cuda_amp(optim_cfg)
        enable_cuda_amp(student_cfg)
    meta = report['meta']
    meta['student_optim_wrapper'] = student_cfg_source

    init_default_scope(cfg.get('default_scope', 'mmseg'))
    torch.manual_seed(0)
    log('building the algorithm ...')
    algorithm = MODELS.build(cfg.model)
    meta['algorithm'] = type(algorithm).__name__
    student, teacher = algorithm.student, algorithm.teacher
    data = synthetic_seg_batch(batch, shape, num_classes_of(student))
    labels = dict(PHASES)
    phases = []

    razor = None
    if compare_mmrazor:
        razor_cfg, razor_notes = mmrazor_counterpart(cfg.model, algorithm)
        notes.extend(razor_notes)
        for note in razor_notes:
            log(f'note: {note}')
        if razor_cfg is not None:
            from mmrazor.registry import MODELS as RAZOR_MODELS

            # torch's notice on KL reduction='mean', chosen on purpose here.
            warnings.filterwarnings(
                'ignore', message="reduction: 'mean' divides the total loss")
            log(f"building {razor_cfg['type']} ...")
            with DefaultScope.overwrite_default_scope('mmrazor'):
                razor = RAZOR_MODELS.build(razor_cfg)
            # The same weights (the teacher checkpoint, if any, included).
            razor.student.load_state_dict(student.state_dict())
            razor.teacher.load_state_dict(teacher.state_dict())
            meta['mmrazor_algorithm'] = razor_cfg['type']
            meta['mmrazor_losses'] = {
                k: dict(v)
                for k, v in razor_cfg['distiller']['distill_losses'].items()
            }
    algorithm.to(device).train()

    # (a) The student's own train step.
    student_wrapper = build_optim_wrapper(student, student_cfg)

    def student_step():
        with _autocast(device, cpu_amp):
            return student.train_step(data, student_wrapper)

    phases.append(Phase('student_step', labels['student_step'], student_step))

    # (b) The teacher's forward as the algorithm runs it.
    teacher_mode = getattr(algorithm, 'teacher_forward', 'tensor')
    with torch.no_grad():
        processed = algorithm.data_preprocessor(copy.deepcopy(data), True)
    inputs, samples = processed['inputs'], processed['data_samples']

    def teacher_step():
        with torch.no_grad(), _autocast(device, amp):
            if teacher_mode == 'extract_feat':
                teacher.extract_feat(inputs)
            else:
                teacher(inputs, samples, mode='tensor')

    how = 'extract_feat' if teacher_mode == 'extract_feat' \
        else "mode='tensor'"
    phases.append(
        Phase('teacher_forward', f"{labels['teacher_forward'][:-1]}, {how})",
              teacher_step))

    # (c) The full distillation step.
    optim_wrapper = build_optim_wrapper(algorithm, optim_cfg)
    meta['optim_wrapper'] = type(optim_wrapper).__name__
    if hasattr(optim_wrapper, 'optim_wrappers'):
        meta['optim_wrapper_keys'] = list(optim_wrapper.optim_wrappers)

    def distill_step():
        with _autocast(device, cpu_amp):
            return algorithm.train_step(data, optim_wrapper)

    phases.append(
        Phase('distill_step',
              f"{labels['distill_step']} ({meta['algorithm']}.train_step)",
              distill_step))

    # (d) mmrazor's algorithm with the losses it has.
    if razor is not None:
        razor.to(device).train()
        razor_wrapper = build_optim_wrapper(razor, student_cfg)

        def razor_step():
            with _autocast(device, cpu_amp):
                return razor.train_step(data, razor_wrapper)

        phases.append(
            Phase('mmrazor_step',
                  f"{labels['mmrazor_step']} ({meta['mmrazor_algorithm']})",
                  razor_step))

    report['phases'] = measure(phases, iters, warmup, device, meter,
                               interleave, log, progress=True)
    report['ratios'] = compute_ratios(report['phases'])
    for key, phase in report['phases'].items():
        bad = [k for k, v in phase['log_vars'].items() if not math.isfinite(v)]
        if bad:
            note = f'{key}: non-finite {bad} in the last step (timing stands).'
            notes.append(note)
            log(f'note: {note}')


def compute_ratios(phases: Dict[str, Dict[str, Any]]) -> Dict[str, float]:
    """c / (a + b) (and d / (a + b), c / d) from the reported times."""
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
