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
        ValueError: If the two predict different numbers of classes.
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
    _check_class_counts(student, teacher, CLASS_HEADS[families[0]])


# The head whose ``num_classes`` is the label space of each family.
CLASS_HEADS = {'mmseg segmentor': 'decode_head', 'mmdet detector': 'bbox_head'}


def _check_class_counts(student: nn.Module, teacher: nn.Module,
                        head: str) -> None:
    """Refuse a teacher and a student that predict different classes."""
    counts = [
        getattr(getattr(model, head, None), 'num_classes', None)
        for model in (student, teacher)
    ]
    if None in counts or counts[0] == counts[1]:
        return
    raise ValueError(
        f'The student predicts {counts[0]} classes but the teacher '
        f'{counts[1]} ({head}.num_classes): distillation compares the two '
        "class by class. Give both the dataset's classes (e.g. "
        f'model.architecture.{head}.num_classes={counts[1]}, and the same '
        "for auxiliary heads), or train a teacher on the student's dataset "
        '(as configs/camvid/ does for CamVid).')
