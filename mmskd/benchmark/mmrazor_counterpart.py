# Copyright (c) mmskd contributors. All rights reserved.
"""mmrazor's algorithm for the same distillation, with the losses it has.

Phase (d) of the benchmark runs mmrazor's ``SingleTeacherDistill`` (or
``FpnTeacherDistill``) with the models, recorders and connectors of the
mmskd config and every mmskd loss that has an mmrazor loss of the same
value. ``MMRAZOR_LOSSES`` says which those are and how their arguments
map; a new loss with an mmrazor counterpart adds one row. Terms without
one (pair-wise, holistic) are left out with a note.
"""
import copy
import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.config import ConfigDict
from torch import nn


@dataclass(frozen=True)
class LossCounterpart:
    """How an mmskd loss becomes an mmrazor loss of the same value.

    Args:
        mmrazor_type (str): The mmrazor loss, e.g. ``'mmrazor.KLDivergence'``.
        arguments (dict): mmskd argument name -> mmrazor argument name. An
            argument the mmskd config leaves out takes mmskd's default.
            Any other mmskd argument set to a value other than its default
            has no mmrazor equivalent: the loss is left out.
        fixed (dict): mmrazor arguments of fixed value.
        weight_per_class (bool): Multiply ``loss_weight`` by the class count
            of the recorded maps, for an mmrazor loss that averages over
            N*C*H*W where the mmskd loss averages over N*H*W.
    """
    mmrazor_type: str
    arguments: Dict[str, str] = field(
        default_factory=lambda: dict(tau='tau', loss_weight='loss_weight'))
    fixed: Dict[str, Any] = field(default_factory=dict)
    weight_per_class: bool = False


# mmskd loss type -> its mmrazor counterpart.
MMRAZOR_LOSSES: Dict[str, LossCounterpart] = {
    # Shu et al.'s loss, implemented alike.
    'ChannelWiseDivergence':
    LossCounterpart('mmrazor.ChannelWiseDivergence'),
    # The mean over N*C*H*W times C is the per-pixel mean of the class KL.
    'PixelWiseDivergence':
    LossCounterpart(
        'mmrazor.KLDivergence',
        fixed=dict(reduction='mean'),
        weight_per_class=True),
}
RECORDERS_WITH_CHANNELS = ('ModuleOutputs', 'ModuleOutputsRecorder')


def _short(type_name: str) -> str:
    return type_name.split('.')[-1]


def _registered(registry, name: str) -> bool:
    return name in registry.module_dict


def _in_mmrazor(type_name: str, razor_models, skd_models) -> bool:
    """Whether a type builds in mmrazor (and is not mmskd's own)."""
    scope, _, short = type_name.rpartition('.')
    if scope == 'mmrazor':
        return True
    if scope in ('', 'mmskd') and _registered(skd_models, short):
        return False
    return scope == '' and _registered(razor_models, short)


def _to_mmrazor_type(connector: Any) -> Any:
    if isinstance(connector, list):
        return [_to_mmrazor_type(c) for c in connector]
    return dict(connector, type='mmrazor.' + _short(connector['type']))


def _recorded_channels(algorithm: nn.Module, mapping: dict,
                       distiller: dict) -> Optional[int]:
    """Channels of the maps a loss reads, from a recorded conv.

    Args:
        algorithm (nn.Module): The built mmskd algorithm.
        mapping (dict): The loss's forward mapping.
        distiller (dict): The distiller config (for the recorders).

    Returns:
        int, optional: The ``out_channels`` of the module a plain
        module-output recorder records, teacher first; None if unknown
        (connectors, indexed outputs, other recorders).
    """
    for arg, role in (('preds_T', 'teacher'), ('preds_S', 'student')):
        source = mapping.get(arg) or {}
        if source.get('connector') or source.get('data_idx') is not None:
            continue
        recorders = distiller.get(f'{role}_recorders') or {}
        recorder = recorders.get(source.get('recorder')) or {}
        if _short(recorder.get('type', '')) not in RECORDERS_WITH_CHANNELS:
            continue
        model = algorithm.student if role == 'student' else algorithm.teacher
        module = dict(model.named_modules()).get(recorder.get('source'))
        channels = getattr(module, 'out_channels', None)
        if isinstance(channels, int):
            return channels
    return None


def _same_value(loss: dict, razor_loss: dict, channels: int) -> bool:
    """Whether the mmskd loss and its mmrazor stand-in agree on a sample."""
    from mmrazor.registry import MODELS as RAZOR_MODELS

    from mmskd.registry import MODELS as SKD_MODELS
    generator = torch.Generator().manual_seed(0)
    preds_S, preds_T = torch.randn(
        2, 2, channels, 3, 5, generator=generator).unbind(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ours = SKD_MODELS.build(dict(loss))(preds_S, preds_T)
        theirs = RAZOR_MODELS.build(dict(razor_loss,
                                         _scope_='mmrazor'))(preds_S, preds_T)
    return torch.allclose(ours.float(), theirs.float(), rtol=1e-4, atol=1e-6)


def map_mmskd_loss(name: str, loss: dict, mapping: dict, algorithm: nn.Module,
                   distiller: dict) -> Tuple[Optional[dict], Optional[str]]:
    """The mmrazor loss of equal value for one mmskd loss, by the table.

    Args:
        name (str): The loss's key in ``distill_losses``.
        loss (dict): Its config.
        mapping (dict): Its forward mapping.
        algorithm (nn.Module): The built mmskd algorithm (for class counts).
        distiller (dict): The distiller config.

    Returns:
        tuple: The mmrazor loss config (None if left out) and a note (None
        if there is nothing to say).
    """
    from mmskd.registry import MODELS as SKD_MODELS
    short = _short(loss['type'])
    row = MMRAZOR_LOSSES.get(short)
    if row is None:
        return None, f'{name} ({short}): no mmrazor counterpart; left out.'
    defaults = {
        key: parameter.default
        for key, parameter in inspect.signature(SKD_MODELS.get(
            short)).parameters.items()
    }
    unmapped = {
        key: value
        for key, value in loss.items() if key != 'type'
        and key not in row.arguments and value != defaults.get(key)
    }
    if unmapped:
        settings = ', '.join(f'{k}={v!r}' for k, v in unmapped.items())
        return None, (f'{name} ({short}, {settings}): {row.mmrazor_type} '
                      'has no such setting; left out.')
    razor_loss = dict(type=row.mmrazor_type, **row.fixed)
    for ours, theirs in row.arguments.items():
        if ours in loss or ours in defaults:
            razor_loss[theirs] = loss.get(ours, defaults.get(ours))
    channels = _recorded_channels(algorithm, mapping, distiller)
    if row.weight_per_class:
        if not channels:
            return None, (f'{name} ({short}): the class count of the '
                          f'recorded maps is unknown, so no '
                          f'{row.mmrazor_type} of equal value; left out.')
        razor_loss['loss_weight'] = razor_loss['loss_weight'] * channels
    # Any class count serves to compare losses that do not depend on it.
    if not _same_value(loss, razor_loss, channels or 4):
        return None, (f'{name} ({short}): {row.mmrazor_type} does not give '
                      'the same value here; left out.')
    if _short(row.mmrazor_type) == short:
        return razor_loss, None
    settings = ', '.join(f'{k}={v!r}' for k, v in razor_loss.items()
                         if k != 'type')
    scaled = f', loss_weight x {channels} classes' \
        if row.weight_per_class else ''
    return razor_loss, (f'{name} ({short}) -> {row.mmrazor_type}({settings})'
                        f'{scaled}: equal value.')


def mmrazor_counterpart(
        model_cfg: ConfigDict,
        algorithm: nn.Module) -> Tuple[Optional[dict], List[str]]:
    """mmrazor's algorithm with the same models, recorders and the losses
    mmrazor has.

    Args:
        model_cfg (ConfigDict): The mmskd config's ``model``, its student
            and teacher expanded to full model dicts.
        algorithm (nn.Module): The built mmskd algorithm.

    Returns:
        tuple: The mmrazor algorithm config (None if no loss is left) and
        notes for the report.
    """
    from mmrazor.registry import MODELS as RAZOR_MODELS

    from mmskd.models.teachers import TeacherEnsemble
    from mmskd.registry import MODELS as SKD_MODELS
    if isinstance(algorithm.teacher, TeacherEnsemble):
        return None, [
            'several teachers (a TeacherEnsemble): mmrazor distils from '
            'one, so there is no counterpart to compare.'
        ]
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
        mapping = mappings.get(name, {})
        used = {m.get('connector') for m in mapping.values()} - {None}
        if used - set(connectors):
            continue
        if _in_mmrazor(loss_type, RAZOR_MODELS, SKD_MODELS):
            new_loss, note = dict(
                loss, type='mmrazor.' + _short(loss_type)), None
        else:
            new_loss, note = map_mmskd_loss(name, loss, mapping, algorithm,
                                            distiller)
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


def build_mmrazor_counterpart(razor_cfg: dict,
                              algorithm: nn.Module) -> nn.Module:
    """Build mmrazor's algorithm with the mmskd algorithm's weights.

    Args:
        razor_cfg (dict): From :func:`mmrazor_counterpart`.
        algorithm (nn.Module): The built mmskd algorithm.

    Returns:
        nn.Module: mmrazor's algorithm, its student and teacher holding the
        same weights (the teacher checkpoint, if any, included).
    """
    from mmrazor.registry import MODELS as RAZOR_MODELS

    # torch's notice on KL reduction='mean', chosen on purpose here.
    warnings.filterwarnings(
        'ignore', message="reduction: 'mean' divides the total loss")
    razor = RAZOR_MODELS.build(dict(razor_cfg, _scope_='mmrazor'))
    razor.student.load_state_dict(algorithm.student.state_dict())
    razor.teacher.load_state_dict(algorithm.teacher.state_dict())
    return razor
