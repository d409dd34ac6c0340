# Copyright (c) mmskd contributors. All rights reserved.
"""Single-teacher distillation for dense prediction."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement
from mmrazor.models import SingleTeacherDistill
from mmrazor.models.utils import add_prefix
from torch import nn

from mmskd.registry import MODELS
from ..utils import build_architecture, load_teacher_checkpoint

LossResults = Dict[str, torch.Tensor]

# How far the teacher runs: the whole network without its loss and target
# assignment ('tensor'), or only backbone + neck ('extract_feat', enough for
# FPN-feature terms).
TEACHER_FORWARDS = ('tensor', 'extract_feat')


@MODELS.register_module()
class StructuredDistill(SingleTeacherDistill):
    """Distil a frozen teacher into a student through recorded tensors.

    Compared with mmrazor's ``SingleTeacherDistill``:

    - The teacher is always in ``eval()`` mode (Dropout too, not only BN) and
      runs under ``no_grad`` in ``mode='tensor'``, so it never computes a loss
      or assigns targets; only the tensors its recorders need are produced.
    - ``architecture`` and ``teacher`` may be ``dict(cfg_path='mmseg::...',
      **overrides)``; the overrides merge into the referenced model config.
    - The distiller is built in the ``mmskd`` scope, so configs name mmskd
      and mmrazor losses, recorders and connectors without prefixes.
    - A missing teacher checkpoint or a recorder naming a module that does
      not exist fails with a message that names the fix.

    Validation (``mode='predict'``) runs the student only.

    Args:
        architecture (dict | BaseModel): The student.
        teacher (dict | BaseModel): The teacher.
        distiller (dict): The distiller config; ``type`` defaults to
            ``'StructuredDistiller'``.
        teacher_ckpt (str, optional): Path or URL of the teacher's weights.
            Defaults to None.
        teacher_forward (str): ``'tensor'`` runs ``teacher(mode='tensor')``;
            ``'extract_feat'`` runs only ``teacher.extract_feat`` (backbone
            and neck). Defaults to ``'tensor'``.
        calculate_student_loss (bool): Whether to add the student's task
            loss. Defaults to True.
        teacher_module_inplace (bool): Keep in-place ops in the teacher.
            Defaults to False, since in-place ops would overwrite recorded
            tensors.
        data_preprocessor (dict, optional): Defaults to the student's.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 architecture: Union[dict, BaseModel],
                 teacher: Union[dict, BaseModel],
                 distiller: dict,
                 teacher_ckpt: Optional[str] = None,
                 teacher_forward: str = 'tensor',
                 calculate_student_loss: bool = True,
                 teacher_module_inplace: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if teacher_forward not in TEACHER_FORWARDS:
            raise ValueError(f'teacher_forward must be one of '
                             f'{TEACHER_FORWARDS}, but got {teacher_forward!r}')
        student = build_architecture(architecture)
        teacher = build_architecture(teacher)
        distiller = dict(distiller)
        distiller.setdefault('type', 'StructuredDistiller')
        with DefaultScope.overwrite_default_scope('mmskd'):
            super().__init__(
                distiller=distiller,
                teacher=teacher,
                teacher_trainable=False,
                calculate_student_loss=calculate_student_loss,
                teacher_module_inplace=teacher_module_inplace,
                architecture=student,
                data_preprocessor=data_preprocessor,
                init_cfg=init_cfg)
        self.teacher_forward = teacher_forward
        if teacher_ckpt:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
            # Keep ``init_weights`` from overwriting the loaded teacher.
            self.teacher._is_init = True
        self.teacher_ckpt = teacher_ckpt

    def train(self, mode: bool = True) -> 'StructuredDistill':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    @torch.no_grad()
    def run_teacher(self, batch_inputs: torch.Tensor,
                    data_samples: Optional[List[BaseDataElement]]) -> None:
        """Run the teacher as far as its recorders need, recording outputs."""
        self.distiller.set_deliveries_override(False)
        with self.distiller.teacher_recorders, self.distiller.deliveries:
            if self.teacher_forward == 'extract_feat':
                self.teacher.extract_feat(batch_inputs)
            else:
                self.teacher(batch_inputs, data_samples, mode='tensor')

    def run_student(
            self, batch_inputs: torch.Tensor,
            data_samples: Optional[List[BaseDataElement]]) -> LossResults:
        """Run the student in loss mode, recording its outputs."""
        self.distiller.set_deliveries_override(True)
        with self.distiller.student_recorders, self.distiller.deliveries:
            student_losses = self.student(
                batch_inputs, data_samples, mode='loss')
        if not self.calculate_student_loss:
            return dict()
        return add_prefix(student_losses, 'student')

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List[BaseDataElement]] = None
             ) -> LossResults:
        """Task loss of the student plus the distillation terms.

        Args:
            batch_inputs (Tensor): Preprocessed images, (N, 3, H, W).
            data_samples (list, optional): The batch's data samples.

        Returns:
            dict: ``student.*`` task losses and ``distill.*`` terms.
        """
        self.run_teacher(batch_inputs, data_samples)
        losses = self.run_student(batch_inputs, data_samples)
        if not self.distillation_stopped:
            losses.update(
                add_prefix(self.distiller.compute_distill_losses(), 'distill'))
        return losses
