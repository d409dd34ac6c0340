# Copyright (c) mmskd contributors. All rights reserved.
"""Phase 1 of knowledge adaptation: train the knowledge translator on the
frozen teacher's last features."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement
from mmrazor.models.utils import add_prefix

from mmskd.registry import MODELS
from ..adapters import teacher_identity
from ..distillers import recorded_channels
from ..utils import load_model_cfg, unwrap
from .structured_distill import StructuredDistill


class NoStudent(BaseModel):
    """The student slot of an algorithm that trains no student.

    It holds no weights, only the data preprocessor of the batches, so a
    checkpoint has no ``architecture.`` weights.

    Args:
        data_preprocessor (nn.Module): The data preprocessor.
    """

    def __init__(self, data_preprocessor: torch.nn.Module) -> None:
        super().__init__(data_preprocessor=data_preprocessor)

    def forward(self, *args, **kwargs):
        """Refuse to run: there is no student.

        Raises:
            RuntimeError: Always.
        """
        raise RuntimeError(
            'KnowledgeTranslatorPretrain builds no student: phase 1 trains '
            'the knowledge translator on the teacher alone.')


@MODELS.register_module()
class KnowledgeTranslatorPretrain(StructuredDistill):
    """Train the auto-encoder of knowledge adaptation (He et al., CVPR 2019).

    Algorithm 1, step 2: the teacher is frozen (it runs in eval mode under
    ``no_grad``, through the shared core's ``run_teacher``), a teacher
    recorder captures its last features φ_t, and the translator
    (``KnowledgeTranslator``) minimises L_ae on them. Nothing else trains,
    and no student is built: the pair config's ``architecture`` is
    accepted and left unbuilt (:class:`NoStudent` fills the shared core's
    student slot), though its ``data_preprocessor`` still preprocesses the
    batches, as in phase 2. A checkpoint of this model is what phase 2
    (``KnowledgeAdaptationDistill``) reads: the encoder under
    ``translator.encoder.`` and the identity of this teacher under
    ``translator._extra_state``.

    The model has nothing to predict: run it without validation
    (``val_dataloader = val_evaluator = None``); the logs show
    ``translator.loss_rec`` and ``translator.loss_sparsity``.

    Args:
        architecture (dict | BaseModel, optional): The student of the pair;
            never built (None is as good).
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

    # Phase 1 has no student: its teacher runs at the batch's size.
    supports_input_scales = False
    # The translator is tied to one teacher's identity and feature.
    supports_teacher_ensemble = False

    def __init__(self,
                 architecture: Optional[Union[dict, BaseModel]],
                 teacher: Union[dict, BaseModel],
                 distiller: dict,
                 translator: dict,
                 teacher_recorder: str = 'feature',
                 **kwargs) -> None:
        super().__init__(architecture, teacher, distiller, **kwargs)
        self.check_recorder('teacher', teacher_recorder, 'teacher_recorder')
        recorder = distiller['teacher_recorders'][teacher_recorder]
        width = recorded_channels(recorder, self.teacher)
        translator = dict(translator)
        channels = translator.setdefault('channels', width)
        if channels is None or (width is not None and channels != width):
            raise ValueError(
                f'translator.channels is {channels}, but the recorded '
                f'module {recorder.get("source")!r} is {width} channels '
                'wide; leave channels out to use that width, or give it for '
                'a recorder whose module has no width attribute.')
        self.translator = MODELS.build(translator)
        self.translator.teacher_identity = teacher_identity(
            self.teacher, recorder.get('source'), channels, self.teacher_ckpt)
        self.teacher_recorder = teacher_recorder

    @staticmethod
    def build_pair(
            architecture: Optional[Union[dict, BaseModel]],
            teacher: Union[dict, BaseModel]) -> Tuple[BaseModel, BaseModel]:
        """Build the teacher only; :class:`NoStudent` takes the student's
        place, with the data preprocessor the student would have had.

        Args:
            architecture (dict | BaseModel, optional): The student of the
                pair, read for its ``data_preprocessor`` only (the
                teacher's without one).
            teacher (dict | BaseModel): The teacher.

        Returns:
            tuple[BaseModel, BaseModel]: The placeholder and the teacher.
        """
        teacher = MODELS.build(teacher)
        preprocessor = getattr(architecture, 'data_preprocessor', None)
        if isinstance(architecture, dict):
            student = load_model_cfg(architecture)
            cfg = student.get('data_preprocessor')
            if cfg is not None:
                scope = student.get('_scope_')
                preprocessor = MODELS.build(
                    dict(cfg, _scope_=scope) if scope else cfg)
        return NoStudent(preprocessor or teacher.data_preprocessor), teacher

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
            'only; it has no student. Run phase 1 without validation '
            '(val_dataloader = val_evaluator = None) and evaluate the '
            'student of phase 2 (KnowledgeAdaptationDistill).')
