# Copyright (c) mmskd contributors. All rights reserved.
"""Read checkpoints with errors that say what to do: a frozen teacher's
weights (``teacher_ckpt``) and the checkpoint a tool evaluates or draws,
each refused unless it fits its model."""
import logging
import os.path as osp
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Mapping

from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint
from torch import nn

from .checkpoint_fit import (STUDENT_PREFIX, TEACHER_PREFIX,
                             check_checkpoint_fits, checkpoint_state_dict,
                             is_distillation_state_dict, part_state_dict,
                             without_parts)
from .remote_checkpoints import RemoteCheckpointError, explain_fetch_failures

TEACHER_KEY = 'model.teacher_ckpt'
TEACHER_FIX = (
    'Use a model-zoo checkpoint of the same config as `teacher`, or the '
    'student a distillation run exported with '
    'tools/model_converters/convert_to_student.py when that student has the '
    'config of `teacher`, or a checkpoint of a TemporalTraining run of that '
    'config (`--cfg-options model.teacher_ckpt=PATH`).')
MODEL_FIX = ('Pass a checkpoint written by a run of this config, or a '
             'model-zoo checkpoint of the same config.')

# Every mmskd import (configs' custom_imports too) reaches this module.
explain_fetch_failures()

_teacher_restored_later: ContextVar[bool] = ContextVar(
    'teacher_restored_later', default=False)


@contextmanager
def teacher_weights_from_checkpoint() -> Iterator[None]:
    """Build distillation algorithms whose teacher a checkpoint restores.

    ``tools/test.py`` and the visualisation tools load a distillation
    checkpoint, which holds the teacher, right after building the algorithm.
    Inside this context the algorithm neither reads ``teacher_ckpt`` (a
    model-zoo URL would need network) nor warns that the teacher is
    untrained.

    Yields:
        None
    """
    token = _teacher_restored_later.set(True)
    try:
        yield
    finally:
        _teacher_restored_later.reset(token)


def teacher_restored_later() -> bool:
    """Whether an algorithm built now gets its teacher from a checkpoint
    loaded after it (see :func:`teacher_weights_from_checkpoint`).

    Returns:
        bool: True inside :func:`teacher_weights_from_checkpoint`.
    """
    return _teacher_restored_later.get()


def _is_remote(path: str) -> bool:
    return '://' in path


def _read_checkpoint(path: str, key: str = TEACHER_KEY) -> dict:
    if not _is_remote(path) and not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'Teacher checkpoint {path!r} does not exist. Download the '
            'teacher\'s model-zoo weights (a config whose `teacher_ckpt` is '
            'a URL fetches them itself), train the teacher first where the '
            'model zoo has none (the configs/depth distill configs name the '
            'command in their header), or pass a local file with '
            f'`--cfg-options {key}=/path/to/teacher.pth`.')
    try:
        return _load_checkpoint(osp.expanduser(path), map_location='cpu')
    except RemoteCheckpointError as error:
        raise RemoteCheckpointError(error.location, error.reason,
                                    [key]) from error.__cause__


def teacher_state_dict(checkpoint: Mapping) -> Mapping:
    """The teacher's tensors in a teacher checkpoint.

    Args:
        checkpoint (Mapping): A model-zoo or ``convert_to_student``
            checkpoint of the teacher's model, a whole distillation
            checkpoint (whose ``teacher.*`` tensors are taken) or that of an
            algorithm that trains the one network it holds under
            ``architecture.`` (e.g. ``TemporalTraining``, the video
            teacher's training).

    Returns:
        Mapping: The teacher's state dict, under the teacher's own names.
    """
    state_dict = checkpoint_state_dict(checkpoint)
    if is_distillation_state_dict(state_dict):
        return part_state_dict(state_dict, TEACHER_PREFIX)
    if state_dict and all(
            key.startswith(STUDENT_PREFIX) for key in state_dict):
        return part_state_dict(state_dict, STUDENT_PREFIX)
    return state_dict


def load_teacher_checkpoint(teacher: nn.Module,
                            path: str,
                            key: str = TEACHER_KEY) -> None:
    """Load ``path`` into ``teacher``, refusing a checkpoint that misfits.

    A checkpoint of another architecture, class count or bin count loads
    "successfully" with ``strict=False`` and leaves the teacher's other
    tensors random, which then silently harms the student (a common mmrazor
    complaint). Every weight of the teacher must be in the checkpoint with
    its shape, and nothing else (BatchNorm's ``num_batches_tracked`` and
    modules' ``_extra_state`` aside, see
    :mod:`~mmskd.models.utils.checkpoint_fit`).

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Local path or URL of a checkpoint of the teacher's model
            or of a whole distillation run.
        key (str): The setting that gave ``path``, named in the errors.
            Defaults to ``'model.teacher_ckpt'``.

    Raises:
        FileNotFoundError: If a local ``path`` does not exist.
        RemoteCheckpointError: If a URL cannot be fetched.
        ValueError: If the checkpoint does not fit the teacher, naming the
            tensors that do not and where to get one that does.
    """
    state_dict = _without_absent_parts(
        teacher, teacher_state_dict(_read_checkpoint(path, key)), path)
    check_checkpoint_fits(
        teacher, state_dict,
        f'Teacher checkpoint {path!r} does not fit the teacher model '
        f'({type(teacher).__name__})', TEACHER_FIX.replace(TEACHER_KEY, key))
    # The fit is checked above; strict loading would also refuse a missing
    # BatchNorm counter.
    teacher.load_state_dict(state_dict, strict=False)


def _without_absent_parts(teacher: nn.Module, state_dict: Mapping,
                          path: str) -> Mapping:
    """``state_dict`` without the parts the teacher was built without.

    A teacher runs in ``mode='tensor'`` only, so a config may build it
    without a part its model-zoo checkpoint holds (``auxiliary_head=None``
    saves its compute); those tensors are left out with a warning. Every
    part the teacher has must still fit exactly.
    """
    parts = {name for name, _ in teacher.named_children()}
    absent = sorted({
        key.split('.', 1)[0]
        for key in state_dict
        if key.split('.', 1)[0] not in parts and '.' in key
    })
    if not absent:
        return state_dict
    print_log(
        f'Teacher checkpoint {path!r} holds parts the teacher model has no '
        f'module for ({", ".join(absent)}); their tensors are not used.',
        logger='current',
        level=logging.WARNING)
    return without_parts(state_dict, absent)


def read_model_checkpoint(path: str) -> dict:
    """Read the checkpoint a tool evaluates or draws (its CHECKPOINT).

    Args:
        path (str): Local path or URL.

    Returns:
        dict: The checkpoint, on the CPU.

    Raises:
        RemoteCheckpointError: If a URL cannot be fetched.
    """
    try:
        return _load_checkpoint(path, map_location='cpu')
    except RemoteCheckpointError as error:
        raise RemoteCheckpointError(
            error.location, error.reason,
            setting='the CHECKPOINT argument') from error.__cause__


def check_model_checkpoint(model: nn.Module, checkpoint: Mapping, path: str,
                           config: str) -> None:
    """Refuse a checkpoint a tool would evaluate or draw a random model of.

    Args:
        model (nn.Module): The model built from ``config`` (possibly
            wrapped; a distillation algorithm or a plain model).
        checkpoint (Mapping): From :func:`read_model_checkpoint`.
        path (str): The checkpoint's path, for the message.
        config (str): The config's path, for the message.

    Raises:
        ValueError: If the checkpoint does not hold exactly the model's
            weights, naming what does not fit and what to pass instead.
    """
    check_checkpoint_fits(
        model, checkpoint_state_dict(checkpoint),
        f'Checkpoint {path!r} does not fit the model of {config!r}', MODEL_FIX)
