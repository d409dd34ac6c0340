# Copyright (c) mmskd contributors. All rights reserved.
"""The shared core of mmskd's algorithms: a frozen teacher, recorders and
distillation losses."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement
from mmrazor.models import SingleTeacherDistill
from mmrazor.models.utils import add_prefix

from mmskd.registry import MODELS
from ..distillers import check_recorder_exists, infer_connector_channels
from ..teachers import TeacherEnsemble
from ..utils import (check_pair_families, keep_unwrapped_names,
                     labelled_task_loss, load_teacher_checkpoint, model_family,
                     unwrap)
from ..utils.checkpoint import teacher_restored_later
from ..utils.input_scales import InputScales
from .guarded_step import GuardedStepMixin
from .teacher_checks import (loads_its_own_weights,
                             refuse_one_checkpoint_for_several,
                             refuse_unknown_arguments, warn_untrained_teacher)

LossResults = Dict[str, torch.Tensor]

# How far the teacher runs: the whole network without its loss and target
# assignment ('tensor'), or only backbone + neck ('extract_feat', enough for
# FPN-feature terms).
TEACHER_FORWARDS = ('tensor', 'extract_feat')


@MODELS.register_module()
class StructuredDistill(GuardedStepMixin, SingleTeacherDistill):
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
    - A connector without ``in_channel``/``out_channel`` gets the widths of
      the recorded modules it joins (see ``infer_connector_channels``).
    - The student (or the teacher) may see each batch at its own resolution
      (``input_scales``, see :class:`~mmskd.models.utils.InputScales`).

    Validation (``mode='predict'``) runs the student only, at its own
    resolution. Algorithms that
    train more than the student (e.g. :class:`HolisticDistill`) subclass
    this one and own their ``train_step``.

    Training is guarded (:class:`GuardedStepMixin`): a batch with NaN or
    inf inputs stops the run before any network runs; an update whose
    gradients are not finite is skipped, the BatchNorm running statistics
    its forward changed are put back, and ``max_skipped_steps`` such skips
    in a row stop the run.

    Args:
        architecture (dict | BaseModel): The student.
        teacher (dict | BaseModel): The teacher.
        distiller (dict): The distiller config; ``type`` defaults to
            ``'StructuredDistiller'``.
        teacher_ckpt (str, optional): Path or URL of the teacher's weights.
            None leaves a teacher built from a config with its initial
            weights, and warns that it is untrained. Defaults to None.
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
        max_skipped_steps (int): Stop the run after this many updates in a
            row skipped for non-finite gradients. Defaults to 10.
        input_scales (dict, optional): ``dict(student=0.5, teacher=1.0,
            size_divisor=8)``: the fraction of each batch's height and width
            that each network sees, in training and (the student) in
            validation; segmentation only. The terms comparing maps of two
            sizes say how they align them (``resize_student``,
            ``match_node_grids``). None: both at the batch's size. Defaults
            to None.
    """

    #: Key of the student's optimizer wrapper in an ``OptimWrapperDict``.
    student_optim_key = 'architecture'
    #: Modules trained against the student, each with its own optimizer
    #: wrapper of that name (see ``AdversarialOptimWrapperConstructor``).
    opponent_optim_keys: tuple = ()
    #: Whether the algorithm can run its networks at their own resolutions
    #: (``input_scales``); those with steps of their own that resize
    #: nothing say False.
    supports_input_scales = True
    #: Whether the algorithm takes a ``TeacherEnsemble`` as its teacher
    #: (those that identify or preprocess for one teacher say False).
    supports_teacher_ensemble = True

    def __init__(self,
                 architecture: Union[dict, BaseModel],
                 teacher: Union[dict, BaseModel],
                 distiller: dict,
                 teacher_ckpt: Optional[str] = None,
                 teacher_forward: str = 'tensor',
                 calculate_student_loss: bool = True,
                 teacher_module_inplace: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 max_skipped_steps: int = 10,
                 input_scales: Optional[dict] = None,
                 **unknown) -> None:
        refuse_unknown_arguments(type(self).__name__, unknown)
        if teacher_forward not in TEACHER_FORWARDS:
            raise ValueError(
                f'teacher_forward must be one of {TEACHER_FORWARDS}, but got '
                f'{teacher_forward!r}')
        teacher_is_config = isinstance(teacher, dict)
        scales = InputScales.build(input_scales)
        self._refuse_input_scales_here(scales)  # before building anything
        student, teacher = self.build_pair(architecture, teacher)
        # Before a teacher checkpoint is read.
        self._refuse_input_scales_for(scales, student)
        restored_later = teacher_restored_later()
        if isinstance(teacher, TeacherEnsemble):
            # Each of its teachers has its own ckpt (and warns without).
            refuse_one_checkpoint_for_several(teacher_ckpt,
                                              self.supports_teacher_ensemble,
                                              type(self).__name__)
        elif not teacher_ckpt and teacher_is_config and not restored_later \
                and not loads_its_own_weights(teacher):
            warn_untrained_teacher()
        distiller = infer_connector_channels(distiller, student, teacher)
        distiller.setdefault('type', 'StructuredDistiller')
        # mmrazor's SingleTeacherDistill builds the distiller through
        # mmrazor's registry, in the caller's scope unless it names one.
        distiller.setdefault('_scope_', MODELS.scope)
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
        self.init_step_guard(max_skipped_steps)
        keep_unwrapped_names(self)
        if teacher_ckpt and not restored_later:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
            # Keep ``init_weights`` from overwriting the loaded teacher.
            self.teacher._is_init = True
        self.teacher_ckpt = teacher_ckpt
        self.input_scales = scales

    @classmethod
    def _refuse_input_scales_here(cls, scales: InputScales) -> None:
        """Refuse scales other than 1 on an algorithm that cannot take
        them.

        Raises:
            ValueError: Naming the setting to remove.
        """
        if not scales.is_identity('student') or \
                not scales.is_identity('teacher'):
            if not cls.supports_input_scales:
                raise ValueError(
                    f'{cls.__name__} runs its networks at the batch\'s size '
                    'and takes no input_scales; remove it, or resize in the '
                    'dataset pipeline.')

    @staticmethod
    def _refuse_input_scales_for(scales: InputScales,
                                 student: BaseModel) -> None:
        """Refuse scales other than 1 for a student that cannot take
        them (not a segmentor, or one that slides its windows).

        Raises:
            ValueError: Naming the setting to change.
        """
        if scales.is_identity('student') and scales.is_identity('teacher'):
            return
        if model_family(student) != 'mmseg segmentor':
            raise ValueError(
                'input_scales resizes images only, so it serves segmentation '
                f'students; this one is a {type(student).__name__}, '
                'whose boxes are in input pixels. Resize in its dataset '
                'pipeline instead and remove input_scales.')
        if (student.test_cfg or {}).get('mode') == 'slide':
            # Its windows and padding are in the batch's pixels.
            raise ValueError(
                "input_scales needs the student's whole-image inference, but "
                "its test_cfg is mode='slide'; set model.architecture."
                "test_cfg=dict(mode='whole').")

    @staticmethod
    def build_pair(
            architecture: Union[dict, BaseModel],
            teacher: Union[dict, BaseModel]) -> Tuple[BaseModel, BaseModel]:
        """Build the student and the teacher, of one supported family.

        Called before the module is initialised; an algorithm that never
        runs a student overrides it (:class:`KnowledgeTranslatorPretrain`).

        Args:
            architecture (dict | BaseModel): The student, its config or a
                ``cfg_path`` reference.
            teacher (dict | BaseModel): The teacher, likewise.

        Returns:
            tuple[BaseModel, BaseModel]: The student and the teacher.
        """
        student = MODELS.build(architecture)
        teacher = MODELS.build(teacher)
        teachers = teacher.members().values() if isinstance(
            teacher, TeacherEnsemble) else (teacher, )
        for one in teachers:
            check_pair_families(student, one)
        return student, teacher

    def check_recorder(self, role: str, name: str, field: str) -> None:
        """Refuse a setting that names a recorder the distiller lacks.

        Args:
            role (str): ``'student'`` or ``'teacher'``.
            name (str): The recorder's name.
            field (str): The setting that names it, for the message.

        Raises:
            ValueError: Naming the recorders there are and the closest.
        """
        manager = getattr(unwrap(self.distiller), f'{role}_recorders')
        check_recorder_exists(manager.recorders, name, field,
                              f'distiller.{role}_recorders')

    def train(self, mode: bool = True) -> 'StructuredDistill':
        """Set the student's mode; the teacher always stays in eval mode.

        Args:
            mode (bool): Training (True) or evaluation (False) mode for the
                student, the distiller and any opponent. Defaults to True.

        Returns:
            StructuredDistill: self.
        """
        super().train(mode)
        self.teacher.eval()
        return self

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> LossResults:
        """One guarded update of the student and the connectors.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The student's optimizer wrapper.

        Returns:
            dict: The log variables.
        """
        # Under MMSeparateDistributedDataParallel the student is a DDP
        # module (its `no_sync` serves accumulation), while the connectors
        # run outside their DDP forward and are averaged by hand.
        return self.guarded_train_step(
            data,
            optim_wrapper,
            trained=(self.student, self.distiller),
            context=self.student,
            synced=unwrap(self.distiller),
            name='student')

    @torch.no_grad()
    def run_teacher(self, batch_inputs: torch.Tensor,
                    data_samples: Optional[List[BaseDataElement]]) -> None:
        """Run the teacher as far as its recorders need, recording outputs.

        Args:
            batch_inputs (Tensor): Preprocessed images, (N, 3, H, W).
            data_samples (list, optional): The batch's data samples (only
                passed on to ``mode='tensor'``, which ignores the labels).
        """
        batch_inputs = self.input_scales.for_training('teacher', batch_inputs)
        distiller = unwrap(self.distiller)
        distiller.set_deliveries_override(False)
        with distiller.teacher_recorders, distiller.deliveries:
            if self.teacher_forward == 'extract_feat':
                self.teacher.extract_feat(batch_inputs)
            else:
                self.teacher(batch_inputs, data_samples, mode='tensor')

    def run_student(
            self, batch_inputs: torch.Tensor,
            data_samples: Optional[List[BaseDataElement]]) -> LossResults:
        """Run the student in loss mode, recording its outputs.

        The student's forward covers the whole batch, so its recorders (and
        every distillation term) see each image; its task losses cover the
        labelled samples only (see ``labelled_task_loss``): samples of an
        ``UnlabelledImageDataset`` add nothing to them, and a batch of only
        such samples gives zero task losses.

        Args:
            batch_inputs (Tensor): Preprocessed images, (N, 3, H, W).
            data_samples (list, optional): The batch's data samples.

        Returns:
            dict: The student's task losses prefixed ``student.``, or an
            empty dict when ``calculate_student_loss`` is False.
        """
        batch_inputs = self.input_scales.for_training('student', batch_inputs)
        distiller = unwrap(self.distiller)
        distiller.set_deliveries_override(True)
        with distiller.student_recorders, distiller.deliveries, \
                labelled_task_loss(unwrap(self.student), data_samples):
            student_losses = self.student(
                batch_inputs, data_samples, mode='loss')
        if not self.calculate_student_loss:
            return dict()
        return add_prefix(student_losses, 'student')

    def loss(
            self,
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
        # The teacher runs even after mmrazor's StopDistillHook, as in
        # mmrazor: distill_deliveries may still feed the student from it.
        self.run_teacher(batch_inputs, data_samples)
        losses = self.run_student(batch_inputs, data_samples)
        if not self.distillation_stopped:
            distill_losses = unwrap(self.distiller).compute_distill_losses()
            losses.update(add_prefix(distill_losses, 'distill'))
        return losses

    def _predict(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[List[BaseDataElement]] = None):
        """The student's predictions, at its own resolution.

        mmseg's heads upsample the logits to the image's size from its data
        samples, so the predictions cover the labels whatever size the
        student ran at.

        Args:
            inputs (Tensor): The preprocessed batch.
            data_samples (list, optional): Its data samples.

        Returns:
            list: The student's predictions.
        """
        inputs = self.input_scales.for_prediction('student', inputs)
        return self.architecture(inputs, data_samples, mode='predict')

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[List[BaseDataElement]] = None):
        """The student's tensors, at its own resolution.

        Args:
            inputs (Tensor): The preprocessed batch.
            data_samples (list, optional): Its data samples.

        Returns:
            The student's ``mode='tensor'`` outputs.
        """
        inputs = self.input_scales.for_prediction('student', inputs)
        return self.architecture(inputs, data_samples, mode='tensor')
