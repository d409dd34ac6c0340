# Copyright (c) mmskd contributors. All rights reserved.
"""The model families whose student/teacher pairs mmskd distils."""
import importlib
from typing import Optional

from torch import nn

# Model families by base class. mmseg's DepthEstimator is an EncoderDecoder,
# so depth models belong to the segmentor family.
SUPPORTED_FAMILIES = {
    'mmseg segmentor': ('mmseg.models.segmentors.base', 'BaseSegmentor'),
    'mmdet detector': ('mmdet.models.detectors.base', 'BaseDetector'),
}


def model_family(model: nn.Module) -> Optional[str]:
    """The supported family ``model`` belongs to, or None.

    Args:
        model (nn.Module): A built model.

    Returns:
        str, optional: A key of ``SUPPORTED_FAMILIES``, or None.
    """
    for family, (module, name) in SUPPORTED_FAMILIES.items():
        try:
            base = getattr(importlib.import_module(module), name)
        except ImportError:  # that OpenMMLab package is not installed
            continue
        if isinstance(model, base):
            return family
    return None


def check_pair_families(student: nn.Module, teacher: nn.Module) -> None:
    """Refuse models mmskd cannot distil, with what it supports instead.

    Args:
        student (nn.Module): The built student.
        teacher (nn.Module): The built teacher.

    Raises:
        TypeError: If either model is of no supported family, or the two
            are of different families.
    """
    families = [model_family(student), model_family(teacher)]
    for role, model, family in zip(('student', 'teacher'),
                                   (student, teacher), families):
        if family is None:
            raise TypeError(
                f'The {role} is a {type(model).__name__}, which mmskd does '
                'not distil: it supports ' +
                ' and '.join(SUPPORTED_FAMILIES) +
                ' models (e.g. an mmseg EncoderDecoder or DepthEstimator, or '
                'an mmdet RetinaNet). Point `architecture`/`teacher` at such '
                'a config.')
    if families[0] != families[1]:
        raise TypeError(
            f'The student is an {families[0]} ({type(student).__name__}) '
            f'but the teacher an {families[1]} ({type(teacher).__name__}); '
            'distillation needs both from the same task. Point '
            '`architecture` and `teacher` at configs of one task (both '
            'mmseg segmentors or both mmdet detectors).')
