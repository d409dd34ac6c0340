# Copyright (c) mmskd contributors. All rights reserved.
"""Connector widths read off the modules whose outputs they connect."""
import copy
from typing import Dict, Optional, Sequence

from torch import nn

# Attributes that give the width of a module's output, then of its input.
OUTPUT_WIDTH_ATTRS = ('out_channels', 'num_features', 'out_features')
INPUT_WIDTH_ATTRS = ('in_channels', 'num_features', 'in_features')


def _own_width(module: nn.Module, attrs: Sequence[str]) -> Optional[int]:
    """The first integer width attribute of ``module``, or None."""
    for attr in attrs:
        width = getattr(module, attr, None)
        if isinstance(width, int):
            return width
    return None


def recorded_channels(recorder: dict, model: nn.Module) -> Optional[int]:
    """The channel count a module recorder sees, or None if unknown.

    ``ModuleOutputs`` of a conv, ConvModule, norm, linear or FPN neck gives
    its output width; ``ModuleInputs`` its input width. A module without
    such an attribute (a ``Sequential`` stack, mmcv's
    ``DepthwiseSeparableConvModule``) gives the width of the last layer
    defined in it that has one: for outputs, its output width, since such
    stacks end with the layer that writes their output. Other recorders
    (method or function outputs) carry no width.

    Args:
        recorder (dict): A recorder config, e.g.
            ``dict(type='ModuleOutputs', source='decode_head.bottleneck')``.
        model (nn.Module): The model the recorder hooks into.

    Returns:
        int, optional: The width, or None.
    """
    kind = str(recorder.get('type', '')).split('.')[-1]
    attrs = {
        'ModuleOutputs': OUTPUT_WIDTH_ATTRS,
        'ModuleOutputsRecorder': OUTPUT_WIDTH_ATTRS,
        'ModuleInputs': INPUT_WIDTH_ATTRS,
        'ModuleInputsRecorder': INPUT_WIDTH_ATTRS,
    }.get(kind)
    modules = dict(model.named_modules())
    module = modules.get(recorder.get('source'))
    if attrs is None or module is None:
        return None
    width = _own_width(module, attrs)
    if width is not None or attrs is INPUT_WIDTH_ATTRS:
        return width
    widths = [_own_width(m, attrs) for m in module.modules()]
    widths = [w for w in widths if w is not None]
    return widths[-1] if widths else None


def _side_width(spec: dict, recorders: Dict[str, Dict[str, dict]],
                models: Dict[str, nn.Module]) -> Optional[int]:
    """Width of the recorded tensor one side of a loss mapping names."""
    role = 'student' if spec.get('from_student') else 'teacher'
    recorder = (recorders[role] or {}).get(spec.get('recorder'))
    if recorder is None:
        return None
    return recorded_channels(recorder, models[role])


def infer_connector_channels(distiller: dict, student: nn.Module,
                             teacher: nn.Module) -> dict:
    """Fill in the ``in_channel``/``out_channel`` a connector config omits.

    A connector sits on one side of a loss mapping (``preds_S=dict(...,
    connector='name')``). Its ``in_channel`` is the width of the tensor
    recorded on that side, its ``out_channel`` the width of the other side
    of the same loss, so that the connector turns e.g. the student's
    128-channel feature into the teacher's 512. Widths given in the config
    are kept as they are. A connector given as a list (mmrazor chains its
    items in an ``nn.Sequential``) is left alone: which item takes which
    width is the config's to say.

    Args:
        distiller (dict): The distiller config (not modified).
        student (nn.Module): The built student.
        teacher (nn.Module): The built teacher.

    Returns:
        dict: A copy of ``distiller`` with the widths filled in.

    Raises:
        ValueError: If a width is missing and cannot be read off the
            recorded module.
    """
    distiller = copy.deepcopy(dict(distiller))
    connectors = distiller.get('connectors') or {}
    recorders = dict(
        student=distiller.get('student_recorders'),
        teacher=distiller.get('teacher_recorders'))
    models = dict(student=student, teacher=teacher)
    mappings = distiller.get('loss_forward_mappings') or {}
    for loss_name, mapping in mappings.items():
        sides = [spec for spec in mapping.values() if isinstance(spec, dict)]
        for spec in sides:
            name = spec.get('connector')
            if not isinstance(connectors.get(name), dict):
                continue
            others = [
                s for s in sides if bool(s.get('from_student')) != bool(
                    spec.get('from_student'))
            ]
            widths = dict(
                in_channel=_side_width(spec, recorders, models),
                out_channel=_side_width(others[0], recorders, models)
                if others else None)
            for key, width in widths.items():
                if key in connectors[name]:
                    continue
                if width is None:
                    raise ValueError(
                        f'connectors[{name!r}] of {loss_name!r} has no '
                        f'{key}, and the width cannot be read off the '
                        'recorded module (it has none of '
                        f'{OUTPUT_WIDTH_ATTRS}); set {key} in '
                        f'distiller.connectors.{name}.')
                connectors[name][key] = width
    return distiller
