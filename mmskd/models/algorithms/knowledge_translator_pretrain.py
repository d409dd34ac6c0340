# Copyright (c) mmskd contributors. All rights reserved.
"""Phase 1 of knowledge adaptation: train the knowledge translator on the
frozen teacher's last features."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement
from mmrazor.models.utils import add_prefix

from mmskd.engine.updates import unwrap
from mmskd.registry import MODELS
from ..adapters import teacher_identity
from ..distillers import recorded_channels
from .structured_distill import StructuredDistill


@MODELS.register_module()
class KnowledgeTranslatorPretrain(StructuredDistill):
    """Train the auto-encoder of knowledge adaptation (He et al., CVPR 2019).

    Algorithm 1, step 2: the teacher is frozen (it runs in eval mode under
    ``no_grad``, through the shared core's ``run_teacher``), a teacher
    recorder captures its last features φ_t, and the translator
    (``KnowledgeTranslator``) minimises L_ae on them. Nothing else trains:
    the student is built, because the shared core is a teacher-student
    algorithm and the pair config names both, but it is frozen and never
    run. A checkpoint of this model is what phase 2
    (``KnowledgeAdaptationDistill``) reads: the encoder under
    ``translator.encoder.`` and the identity of this teacher under
    ``translator._extra_state``.

    The model has nothing to predict: run it without validation
    (``val_dataloader = val_evaluator = None``); the logs show
    ``translator.loss_rec`` and ``translator.loss_sparsity``.

    Args:
        architecture (dict | BaseModel): The student of the pair (unused).
        teacher (dict | BaseModel): The teacher.
        distiller (dict): The distiller; its ``teacher_recorders`` must hold
            ``teacher_recorder``.
        translator (dict): The auto-encoder, e.g.
            ``dict(type='KnowledgeTranslator', sparsity_weight=1e-7)``.
            ``channels`` defaults to the width of the recorded module.
        teacher_recorder (str): The teacher recorder of φ_t. Defaults to
            ``'feature'``.
        **kwargs: The arguments of :class:`StructuredDistill`.
    """

    def __init__(self,
                 architecture,
                 teacher,
                 distiller: dict,
                 translator: dict,
                 teacher_recorder: str = 'feature',
                 **kwargs) -> None:
        super().__init__(architecture, teacher, distiller, **kwargs)
        recorders = distiller.get('teacher_recorders') or {}
        if teacher_recorder not in recorders:
            raise ValueError(
                f'teacher_recorder is {teacher_recorder!r}, but the '
                f'distiller\'s teacher_recorders are {sorted(recorders)}; '
                'record the teacher\'s last feature under that name.')
        recorder = recorders[teacher_recorder]
        width = recorded_channels(recorder, self.teacher)
        translator = dict(translator)
        channels = translator.setdefault('channels', width)
        if channels is None or (width is not None and channels != width):
            raise ValueError(
                f'translator.channels is {channels}, but the recorded '
                f'module {recorder.get("source")!r} is {width} channels '
                'wide; leave channels out to use that width, or give it for '
                'a recorder whose module has no width attribute.')
        with DefaultScope.overwrite_default_scope('mmskd'):
            self.translator = MODELS.build(translator)
        self.translator.teacher_identity = teacher_identity(
            self.teacher, recorder.get('source'), channels, self.teacher_ckpt)
        self.teacher_recorder = teacher_recorder
        self.student.requires_grad_(False)

    def loss(
        self,
        batch_inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None
    ) -> Dict[str, torch.Tensor]:
        """L_ae of the translator on this batch's teacher features.

        Args:
            batch_inputs (Tensor): Preprocessed images, (N, 3, H, W).
            data_samples (list, optional): The batch's data samples.

        Returns:
            dict: ``translator.loss_rec`` and ``translator.loss_sparsity``.
        """
        self.run_teacher(batch_inputs, data_samples)
        feats = unwrap(self.distiller).get_record(
            self.teacher_recorder, from_student=False)
        return add_prefix(unwrap(self.translator).loss(feats), 'translator')

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One guarded update of the translator, the only trained part.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The translator's optimizer wrapper.

        Returns:
            dict: The log variables.
        """
        # The translator is called through its ``loss``, never through a
        # DDP forward, so its gradients are averaged by hand.
        translator = unwrap(self.translator)
        return self.guarded_train_step(
            data,
            optim_wrapper,
            trained=(translator, ),
            context=translator,
            synced=translator,
            name='translator')

    def _predict(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[List[BaseDataElement]] = None):
        """Refuse prediction: phase 1 trains no model that predicts."""
        raise RuntimeError(
            'KnowledgeTranslatorPretrain trains the knowledge translator '
            'only; its student is untrained. Run phase 1 without validation '
            '(val_dataloader = val_evaluator = None) and evaluate the '
            'student of phase 2 (KnowledgeAdaptationDistill).')
