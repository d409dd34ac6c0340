# Copyright (c) mmskd contributors. All rights reserved.
"""Single-teacher distillation for dense prediction."""
import difflib
import importlib
import logging
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement
from mmrazor.models import SingleTeacherDistill
from mmrazor.models.utils import add_prefix
from torch import nn

from mmskd.registry import MODELS
from ..discriminators import wasserstein_critic_terms
from ..utils import (all_finite, autocast_disabled, average_gradients,
                     build_architecture, frozen, load_teacher_checkpoint,
                     unwrap)

LossResults = Dict[str, torch.Tensor]

# How far the teacher runs: the whole network without its loss and target
# assignment ('tensor'), or only backbone + neck ('extract_feat', enough for
# FPN-feature terms).
TEACHER_FORWARDS = ('tensor', 'extract_feat')

# Model families whose student/teacher pairs mmskd distils, by base class.
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
                ' models (e.g. an mmseg EncoderDecoder or an mmdet '
                'RetinaNet). Point `architecture`/`teacher` at such a '
                'config.')
    if families[0] != families[1]:
        raise TypeError(
            f'The student is an {families[0]} ({type(student).__name__}) '
            f'but the teacher an {families[1]} ({type(teacher).__name__}); '
            'distillation needs both from the same task.')


# Names of the two optimizer wrappers of adversarial training, which are
# also the names of the student and the critic in the algorithm.
STUDENT_OPTIM, CRITIC_OPTIM = 'architecture', 'discriminator'


@dataclass
class HolisticSettings:
    """How the holistic (conditional WGAN-GP) term is fed and trained.

    Args:
        student_recorder (str): Distiller recorder of the student's maps.
        teacher_recorder (str): Distiller recorder of the teacher's maps.
        record_indices (Sequence[int]): Calls of the recorded module to use,
            one map each (e.g. the FPN levels of a shared head conv).
            Defaults to ``(0, )``.
        loss_weight (float): λ2 of the student's term ``-λ2 · D(Q_s)``.
            Defaults to 0.1 (the paper).
        gp_weight (float): Weight of the gradient penalty in the critic's
            loss. Defaults to 10 (the official code).
        critic_loss_weight (float): λ_d, the scale of the critic's whole loss
            ``λ_d · (D(Q_s) - D(Q_t) + gp_weight · GP)``. Defaults to 0.1, as
            the official code; at 1 the critic's steps are ten times larger
            and, with scores of logit-sized maps, it diverges.
        critic_steps (int): Critic updates per student update. Defaults to 1.
        student_first (bool): Update the student before the critic, as the
            official code does; False updates the critic first, as the
            paper lists the steps. Defaults to True.
    """
    student_recorder: str
    teacher_recorder: str
    record_indices: Sequence[int] = (0, )
    loss_weight: float = 0.1
    gp_weight: float = 10.0
    critic_loss_weight: float = 0.1
    critic_steps: int = 1
    student_first: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.record_indices, int):
            self.record_indices = (self.record_indices, )
        if self.critic_steps < 1:
            raise ValueError(
                f'critic_steps must be >= 1, got {self.critic_steps}')


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

    With a ``discriminator`` and ``holistic`` settings, each ``train_step``
    also plays the holistic game of structured distillation: the student
    minimises its task and distill losses ``- λ2 · D(Q_s | I)`` (the critic
    frozen), and the critic minimises
    ``λ_d · (D(Q_s | I) - D(Q_t | I) + λ_gp · GP)`` on detached maps. An
    update whose loss is not finite is skipped with a warning, never written
    into the weights. This needs an ``OptimWrapperDict`` with
    ``architecture`` and ``discriminator`` wrappers (see
    ``AdversarialOptimWrapperConstructor``).

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
        discriminator (dict, optional): The critic of the holistic term,
            e.g. ``dict(type='HolisticDiscriminator', in_channels=19)``.
            Defaults to None (no holistic term).
        holistic (dict, optional): :class:`HolisticSettings` of the holistic
            term; required with ``discriminator``. Defaults to None.
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
                 discriminator: Optional[dict] = None,
                 holistic: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if (discriminator is None) != (holistic is None):
            raise ValueError(
                'The holistic term needs both `discriminator` (the critic) '
                'and `holistic` (which recorders feed it and its weights); '
                f'got discriminator={discriminator!r}, '
                f'holistic={holistic!r}.')
        if teacher_forward not in TEACHER_FORWARDS:
            raise ValueError(
                f'teacher_forward must be one of {TEACHER_FORWARDS}, but got '
                f'{teacher_forward!r}')
        student = build_architecture(architecture)
        teacher = build_architecture(teacher)
        check_pair_families(student, teacher)
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
            self.discriminator = None if discriminator is None else \
                MODELS.build(discriminator)
        self.holistic = None if holistic is None else \
            HolisticSettings(**holistic)
        if self.holistic is not None:
            self._check_holistic_recorders()
        self.teacher_forward = teacher_forward
        if teacher_ckpt:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
            # Keep ``init_weights`` from overwriting the loaded teacher.
            self.teacher._is_init = True
        self.teacher_ckpt = teacher_ckpt

    def train(self, mode: bool = True) -> 'StructuredDistill':
        """Set the student's mode; the teacher always stays in eval mode.

        Args:
            mode (bool): Training (True) or evaluation (False) mode for the
                student, the distiller and the critic. Defaults to True.

        Returns:
            StructuredDistill: self.
        """
        super().train(mode)
        self.teacher.eval()
        return self

    @torch.no_grad()
    def run_teacher(self, batch_inputs: torch.Tensor,
                    data_samples: Optional[List[BaseDataElement]]) -> None:
        """Run the teacher as far as its recorders need, recording outputs.

        Args:
            batch_inputs (Tensor): Preprocessed images, (N, 3, H, W).
            data_samples (list, optional): The batch's data samples (only
                passed on to ``mode='tensor'``, which ignores the labels).
        """
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

        Args:
            batch_inputs (Tensor): Preprocessed images, (N, 3, H, W).
            data_samples (list, optional): The batch's data samples.

        Returns:
            dict: The student's task losses prefixed ``student.``, or an
            empty dict when ``calculate_student_loss`` is False.
        """
        distiller = unwrap(self.distiller)
        distiller.set_deliveries_override(True)
        with distiller.student_recorders, distiller.deliveries:
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
        # The teacher runs even after mmrazor's StopDistillHook, as in
        # mmrazor: distill_deliveries may still feed the student from it.
        self.run_teacher(batch_inputs, data_samples)
        losses = self.run_student(batch_inputs, data_samples)
        if not self.distillation_stopped:
            distill_losses = unwrap(self.distiller).compute_distill_losses()
            losses.update(add_prefix(distill_losses, 'distill'))
        return losses

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One training iteration; with a critic, the alternating updates.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper | OptimWrapperDict): The student's
                wrapper, or ``architecture`` and ``discriminator`` wrappers
                when the holistic term is on.

        Returns:
            dict: The log variables.
        """
        if self.discriminator is None:
            return super().train_step(data, optim_wrapper)
        student_wrapper, critic_wrapper = self._adversarial_wrappers(
            optim_wrapper)
        with student_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        if self.distillation_stopped:  # no holistic term, no critic update
            return self._train_student(student_wrapper, losses)
        image = data['inputs']
        real_maps, fake_maps = self._holistic_maps()
        critic_log = dict()
        if not self.holistic.student_first:
            critic_log = self._train_critic(critic_wrapper, real_maps,
                                            fake_maps, image)
        with student_wrapper.optim_context(self):
            losses['distill.loss_ho'] = self._student_holistic_loss(
                fake_maps, image)
        log_vars = self._train_student(student_wrapper, losses)
        if self.holistic.student_first:
            critic_log = self._train_critic(critic_wrapper, real_maps,
                                            fake_maps, image)
        log_vars.update(critic_log)
        return log_vars

    def _train_student(self, wrapper: OptimWrapper,
                       losses: LossResults) -> Dict[str, torch.Tensor]:
        """Update the student (and connectors) on ``losses``; returns the
        log variables."""
        loss, log_vars = self.parse_losses(losses)
        if all_finite(loss):
            self._update(wrapper, loss, unwrap(self.distiller))
        else:
            self._skip(wrapper, 'student', loss)
        return log_vars

    @staticmethod
    def _adversarial_wrappers(
            optim_wrapper: OptimWrapper) -> Tuple[OptimWrapper, OptimWrapper]:
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                {STUDENT_OPTIM, CRITIC_OPTIM} - set(optim_wrapper.keys()):
            raise TypeError(
                'The holistic term trains a critic beside the student and '
                'needs two optimizers: set `optim_wrapper=dict(constructor='
                '\'mmskd.AdversarialOptimWrapperConstructor\', '
                'architecture=dict(...), discriminator=dict(...))` (see '
                'configs/_base_/methods/skd.py).')
        return optim_wrapper[STUDENT_OPTIM], optim_wrapper[CRITIC_OPTIM]

    def _check_holistic_recorders(self) -> None:
        """Refuse holistic settings that name recorders the distiller lacks
        (at build time, not at the first step's bare ``KeyError``)."""
        distiller = unwrap(self.distiller)
        for role, name, manager in (
                ('student', self.holistic.student_recorder,
                 distiller.student_recorders),
                ('teacher', self.holistic.teacher_recorder,
                 distiller.teacher_recorders)):
            if name in manager.recorders:
                continue
            known = sorted(manager.recorders)
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f' Did you mean {close[0]!r}?' if close else ''
            raise ValueError(
                f'holistic.{role}_recorder is {name!r}, but the distiller '
                f'has no such {role} recorder (it has {known}).{hint} Name '
                f'one of distiller.{role}_recorders.')

    def _recorded_map(self, recorder: str, from_student: bool,
                      index: int) -> torch.Tensor:
        """One recorded call of a holistic recorder."""
        distiller = unwrap(self.distiller)
        manager = distiller.student_recorders if from_student else \
            distiller.teacher_recorders
        calls = len(manager.get_recorder(recorder).data_buffer)
        if not -calls <= index < calls:
            raise ValueError(
                f'holistic.record_indices asks for call {index} of the '
                f'recorder {recorder!r}, which recorded {calls} call(s) this '
                'step; use indices below that.')
        return distiller.get_record(recorder, from_student, index)

    def _holistic_maps(self) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """The recorded teacher (real) and student (fake) maps per index."""
        settings = self.holistic
        real = [
            self._recorded_map(settings.teacher_recorder, False, index)
            for index in settings.record_indices
        ]
        fake = [
            self._recorded_map(settings.student_recorder, True, index)
            for index in settings.record_indices
        ]
        for real_map, fake_map in zip(real, fake):
            if real_map.shape != fake_map.shape:
                raise ValueError(
                    'The holistic critic compares teacher and student maps '
                    f'of one shape, got {tuple(real_map.shape)} (teacher) '
                    f'and {tuple(fake_map.shape)} (student); record maps of '
                    'the same size (e.g. both score maps).')
        return real, fake

    def _student_holistic_loss(self, fake_maps: List[torch.Tensor],
                               image: torch.Tensor) -> torch.Tensor:
        """``-λ2 · D(Q_s | I)``, averaged over maps; the critic is frozen.

        The critic runs in float32 outside autocast: its spectral norm and
        input BatchNorm are sensitive to fp16 ranges, and it is small.
        """
        critic = unwrap(self.discriminator)
        with frozen(critic), autocast_disabled(image.device):
            scores = [
                critic(fake.float(), image.float()).mean()
                for fake in fake_maps
            ]
        return -self.holistic.loss_weight * torch.stack(scores).mean()

    def _train_critic(self, wrapper: OptimWrapper,
                      real_maps: List[torch.Tensor],
                      fake_maps: List[torch.Tensor],
                      image: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Update the critic on detached maps; returns its log variables."""
        critic = unwrap(self.discriminator)
        log_vars = dict()
        for _ in range(self.holistic.critic_steps):
            with wrapper.optim_context(critic):
                terms = [
                    wasserstein_critic_terms(critic, real, fake, image)
                    for real, fake in zip(real_maps, fake_maps)
                ]
                score_real = torch.stack([t[0].mean() for t in terms]).mean()
                score_fake = torch.stack([t[1].mean() for t in terms]).mean()
                weight = self.holistic.critic_loss_weight
                loss_adv = weight * (score_fake - score_real)
                loss_gp = weight * self.holistic.gp_weight * torch.stack(
                    [t[2] for t in terms]).mean()
                loss = loss_adv + loss_gp
            log_vars = {
                'disc.loss_adv': loss_adv.detach(),
                'disc.loss_gp': loss_gp.detach(),
                'disc.wdist': (score_real - score_fake).detach(),
            }
            if not all_finite(loss):
                self._skip(wrapper, 'critic', loss)
                continue
            self._update(wrapper, loss, critic)
        return log_vars

    @staticmethod
    def _skip(wrapper: OptimWrapper, who: str, loss: torch.Tensor) -> None:
        """Drop an update whose loss is not finite (decided on all ranks)."""
        print_log(
            f'Skipped a {who} update: its loss is {loss.item()} (not '
            f'finite); the {who} keeps its weights.',
            logger='current',
            level=logging.WARNING)
        wrapper.zero_grad()

    @staticmethod
    def _update(wrapper: OptimWrapper, loss: torch.Tensor,
                manually_synced: nn.Module) -> None:
        """``wrapper.update_params`` with an explicit gradient average.

        ``manually_synced`` holds parameters that did not go through a DDP
        forward (the critic, the connectors); their gradients are averaged
        over processes before the step. Otherwise the same as
        ``OptimWrapper.update_params`` (loss scaling, accumulation, AMP).
        """
        wrapper.backward(wrapper.scale_loss(loss))
        if wrapper.should_update():
            average_gradients(manually_synced)
            wrapper.step()
            wrapper.zero_grad()
