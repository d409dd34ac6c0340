# Copyright (c) mmskd contributors. All rights reserved.
"""mmrazor's ``ConfigurableDistiller`` with errors that name the fix."""
from typing import Dict, List, Optional

from mmrazor.models import ConfigurableDistiller
from torch import nn

from mmskd.registry import MODELS
from ..utils.suggestions import did_you_mean

# Recorder types whose ``source`` is a module name of the model.
MODULE_RECORDERS = ('ModuleOutputs', 'ModuleInputs')


def _recorder_type(cfg: dict) -> str:
    name = cfg.get('type', '').split('.')[-1]
    return name[:-len('Recorder')] if name.endswith('Recorder') else name


def check_recorder_sources(recorders: Optional[Dict[str, dict]],
                           model: nn.Module, role: str) -> None:
    """Raise a clear error for a recorder that names a missing module.

    Args:
        recorders (dict, optional): The ``{student,teacher}_recorders`` config.
        model (nn.Module): The model those recorders hook into.
        role (str): ``'student'`` or ``'teacher'``, used in the message.
    """
    if not recorders:
        return
    module_names: List[str] = [name for name, _ in model.named_modules()]
    known = set(module_names)
    for recorder_name, cfg in recorders.items():
        if _recorder_type(cfg) not in MODULE_RECORDERS:
            continue
        source = cfg.get('source')
        if source in known:
            continue
        hint = did_you_mean(source, module_names)
        raise ValueError(
            f'{role}_recorders[{recorder_name!r}] records the module '
            f'{source!r}, which the {role} ({type(model).__name__}) does not '
            f'have.{hint} Fix `source` in distiller.{role}_recorders; '
            f'`[n for n, _ in model.named_modules()]` lists valid names.')


@MODELS.register_module()
class StructuredDistiller(ConfigurableDistiller):
    """A ``ConfigurableDistiller`` that validates its recorders.

    It is mmrazor's distiller (recorders, connectors, ``distill_losses`` and
    ``loss_forward_mappings`` mean the same), except that a recorder whose
    ``source`` is not a module of its model fails with the module names that
    were probably meant, instead of a bare ``assert``.
    """

    def __init__(self,
                 student_recorders: Optional[Dict[str, dict]] = None,
                 teacher_recorders: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        self._recorder_cfgs = dict(
            student=student_recorders, teacher=teacher_recorders)
        super().__init__(
            student_recorders=student_recorders,
            teacher_recorders=teacher_recorders,
            **kwargs)

    def prepare_from_student(self, model: nn.Module) -> None:
        """Check and hook the student recorders into ``model``."""
        check_recorder_sources(self._recorder_cfgs['student'], model,
                               'student')
        super().prepare_from_student(model)

    def prepare_from_teacher(self, model: nn.Module) -> None:
        """Check and hook the teacher recorders into ``model``."""
        check_recorder_sources(self._recorder_cfgs['teacher'], model,
                               'teacher')
        super().prepare_from_teacher(model)
