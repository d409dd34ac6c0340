# Copyright (c) mmskd contributors. All rights reserved.
"""What the shared core checks of the teacher it is given, and of its
arguments, each with a message that names the fix."""
import logging
from typing import Optional

from mmengine.logging import print_log
from mmengine.model import BaseModel


def loads_its_own_weights(model: BaseModel) -> bool:
    """Whether ``model``'s own init_cfg loads a whole trained model."""
    init_cfg = getattr(model, 'init_cfg', None)
    return isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained'


def warn_untrained_teacher() -> None:
    """One line: distilling from a teacher without weights teaches noise.

    Without ``teacher_ckpt`` a teacher built from a config keeps what its
    initialisation gives: random weights, or an ImageNet backbone under an
    untrained head (a model-zoo config's ``pretrained``). Tests and
    benchmarks do that on purpose; a training run almost never means to.
    """
    print_log(
        'model.teacher_ckpt is not set: the teacher keeps its initial, '
        'untrained weights and the student learns to imitate them; set '
        'model.teacher_ckpt to the trained teacher\'s checkpoint (e.g. '
        '--cfg-options model.teacher_ckpt=/path/to/teacher.pth).',
        logger='current',
        level=logging.WARNING)


def refuse_one_checkpoint_for_several(teacher_ckpt: Optional[str],
                                      supported: bool, algorithm: str) -> None:
    """Refuse ``teacher_ckpt`` beside a ``TeacherEnsemble``, or the
    ensemble where the algorithm cannot take one.

    Args:
        teacher_ckpt (str, optional): The algorithm's ``teacher_ckpt``.
        supported (bool): Whether the algorithm takes an ensemble.
        algorithm (str): Its name, for the message.

    Raises:
        ValueError: In either case.
    """
    if not supported:
        raise ValueError(
            f'{algorithm} distils from one teacher (it identifies or '
            'preprocesses for it); give it one teacher, not a '
            'TeacherEnsemble.')
    if teacher_ckpt:
        raise ValueError(
            'model.teacher is a TeacherEnsemble, whose teachers each load '
            'their own checkpoint: set model.teacher.teachers.NAME.ckpt for '
            'each and remove model.teacher_ckpt.')


def refuse_unknown_arguments(algorithm: str, unknown: dict) -> None:
    """Name the algorithm that takes arguments a config gave the wrong one."""
    if not unknown:
        return
    hint = ''
    if {'discriminator', 'holistic'} & set(unknown):
        hint = (' The holistic term (a discriminator and its settings) '
                "belongs to type='HolisticDistill', whose settings are "
                'keyword arguments of the model (see '
                'configs/_base_/methods/holistic.py).')
    raise TypeError(f'{algorithm} got unexpected arguments '
                    f'{sorted(unknown)}.{hint}')
