# Copyright (c) mmskd contributors. All rights reserved.
"""Recorder managers as config values, and the check that a named recorder
exists."""
from typing import Iterable

from mmrazor.models.task_modules import RecorderManager

from mmskd.registry import TASK_UTILS
from ..utils.suggestions import did_you_mean

# mmrazor's manager is a plain class; registered here, an algorithm's own
# recorders are a config value: ``dict(type='RecorderManager',
# recorders=dict(logits=dict(type='ModuleOutputs', source=...)))``.
TASK_UTILS.register_module(module=RecorderManager)


def check_recorder_exists(recorders: Iterable[str], name: str, field: str,
                          where: str) -> None:
    """Refuse a recorder name that is not among ``recorders``, at build time
    rather than at the first step's bare ``KeyError``.

    Args:
        recorders (Iterable[str]): The names of the recorders there are.
        name (str): The name a setting gives.
        field (str): The setting, e.g. ``'student_recorder'``.
        where (str): The recorders' config, e.g.
            ``'distiller.student_recorders'``.

    Raises:
        ValueError: Naming the recorders there are, the closest match and
            the config to fix.
    """
    known = sorted(recorders)
    if name in known:
        return
    hint = did_you_mean(name, known, count=1)
    raise ValueError(f'{field} is {name!r}, but {where} has no such recorder '
                     f'(it has {known}).{hint} Name one of {where}, or '
                     'record the module under that name there.')
