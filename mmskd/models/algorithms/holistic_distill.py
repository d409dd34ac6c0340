# Copyright (c) mmskd contributors. All rights reserved.
"""Structured distillation with the holistic term: the student plays a
conditional WGAN-GP game against a discriminator."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmskd.registry import MODELS
from ..distillers import recorded_channels
from ..losses import wasserstein_terms
from ..utils import autocast_disabled, frozen, unwrap
from .structured_distill import StructuredDistill

Maps = List[torch.Tensor]
#: The conditioning image of each map (None for an unconditional critic).
Images = List[Optional[torch.Tensor]]


@MODELS.register_module()
class HolisticDistill(StructuredDistill):
    """:class:`StructuredDistill` plus the holistic term of structured
    knowledge distillation (Liu et al., CVPR 2019 / TPAMI).

    A discriminator ``D(Q | I)`` scores score maps ``Q`` conditioned on the
    image ``I``; the teacher's maps are the real samples, the student's the
    fake ones. Each ``train_step`` alternates two updates:

    - the student minimises its task loss, its distillation losses and
      ``-λ2 · Σ_l mean_n D(Q_s^l | I)`` (``loss_weight``), the discriminator
      frozen;
    - the discriminator minimises, on detached maps,
      ``λ_d · Σ_l (mean D(Q_s^l) - mean D(Q_t^l) + λ_gp · GP_l)``
      (``disc_loss_weight``, ``gp_weight``), ``disc_steps`` times.

    ``l`` runs over the recorded maps (``record_indices``: one for a
    segmentor's score map, one per FPN level for a detector's shared
    classifier). Like every distillation term of a multi-level config, the
    holistic term is the **sum over levels**, each level weighted alike.

    The maps may be score maps (``decode_head.conv_seg``) or a depth map
    (``DepthBinHead``'s ``decode_head.expected_depth``, 1 channel). A
    discriminator whose ``in_channels`` differs from the maps' channel count
    is refused with the fix: at build where the recorded module tells its
    width (``out_channels``), otherwise at the first step.

    The student's update also trains the distiller's connectors. Both
    updates are guarded (:class:`GuardedStepMixin`'s ``step_guard``): an
    update whose gradients are not finite is skipped, the buffers (e.g.
    BatchNorm running statistics) of the part it trains are put back to
    their values before this step's forwards, and ``max_skipped_steps``
    skips in a row of either part stop the run. This
    needs an ``OptimWrapperDict`` with ``architecture`` and
    ``discriminator`` wrappers (``AdversarialOptimWrapperConstructor``).
    After mmrazor's ``StopDistillHook`` neither the holistic term nor the
    discriminator update runs.

    Args:
        architecture (dict | BaseModel): The student.
        teacher (dict | BaseModel): The teacher.
        distiller (dict): The distiller config.
        discriminator (dict): The discriminator, e.g.
            ``dict(type='HolisticDiscriminator', in_channels=19)``.
        student_recorder (str): Distiller recorder of the student's maps.
            Defaults to ``'logits'``.
        teacher_recorder (str): Distiller recorder of the teacher's maps.
            Defaults to ``'logits'``.
        record_indices (int | Sequence[int]): Calls of the recorded module
            to use, one map each (e.g. the five FPN levels of a shared head
            conv). Defaults to ``(0, )``.
        loss_weight (float): λ2 of the student's term. Defaults to 0.1 (the
            paper).
        gp_weight (float): λ_gp, the weight of the gradient penalty in the
            discriminator's loss. Defaults to 10 (the official code).
        disc_loss_weight (float): λ_d, the scale of the discriminator's
            whole loss. Defaults to 0.1, as the official code; at 1 the
            discriminator's steps are ten times larger and, with scores of
            logit-sized maps, it diverges.
        disc_steps (int): Discriminator updates per student update.
            Defaults to 1.
        student_first (bool): Update the student before the discriminator,
            as the official code does; False updates the discriminator
            first, as the paper lists the steps. Defaults to True.
        **kwargs: The arguments of :class:`StructuredDistill`.
    """

    opponent_optim_keys = ('discriminator', )

    def __init__(self,
                 architecture,
                 teacher,
                 distiller: dict,
                 discriminator: dict,
                 student_recorder: str = 'logits',
                 teacher_recorder: str = 'logits',
                 record_indices: Union[int, Sequence[int]] = (0, ),
                 loss_weight: float = 0.1,
                 gp_weight: float = 10.0,
                 disc_loss_weight: float = 0.1,
                 disc_steps: int = 1,
                 student_first: bool = True,
                 **kwargs) -> None:
        super().__init__(architecture, teacher, distiller, **kwargs)
        if disc_steps < 1:
            raise ValueError(f'disc_steps must be >= 1, got {disc_steps}')
        self.discriminator = MODELS.build(discriminator)
        self.student_recorder = student_recorder
        self.teacher_recorder = teacher_recorder
        self.record_indices = (record_indices, ) if isinstance(
            record_indices, int) else tuple(record_indices)
        self.loss_weight = loss_weight
        self.gp_weight = gp_weight
        self.disc_loss_weight = disc_loss_weight
        self.disc_steps = disc_steps
        self.student_first = student_first
        self.check_recorder('student', student_recorder, 'student_recorder')
        self.check_recorder('teacher', teacher_recorder, 'teacher_recorder')
        self._check_recorded_widths(distiller)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """One iteration: the student's and the discriminator's updates.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapperDict): ``architecture`` and
                ``discriminator`` wrappers.

        Returns:
            dict: The log variables (``disc.*`` for the discriminator).
        """
        student_wrapper, disc_wrapper = self._optim_wrappers(optim_wrapper)
        # The wrapped student (DDP inside MMSeparateDistributedDataParallel)
        # has `no_sync`, so accumulation skips its all-reduce in between.
        data, losses = self.guarded_losses(
            data,
            student_wrapper,
            trained=(self.student, self.distiller),
            context=self.student,
            name='student')
        if self.distillation_stopped:
            return self._update_student(student_wrapper, losses)
        real_maps, fake_maps = self._holistic_maps()
        # Each map is conditioned on the image at its own size (a student at
        # its own resolution gives maps of another size than the teacher's).
        real_images, fake_images = self._conditioning_images(
            data['inputs'], real_maps, fake_maps)
        maps = (real_maps, fake_maps, real_images, fake_images)
        disc_log = dict()
        if not self.student_first:
            disc_log = self._update_discriminator(disc_wrapper, *maps)
        with student_wrapper.optim_context(self.student):
            losses['distill.loss_ho'] = self._student_holistic_loss(
                fake_maps, fake_images)
        log_vars = self._update_student(student_wrapper, losses)
        if self.student_first:
            disc_log = self._update_discriminator(disc_wrapper, *maps)
        log_vars.update(disc_log)
        return log_vars

    def _optim_wrappers(
            self,
            optim_wrapper: OptimWrapper) -> Tuple[OptimWrapper, OptimWrapper]:
        keys = (self.student_optim_key, *self.opponent_optim_keys)
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                set(keys) - set(optim_wrapper.keys()):
            raise TypeError(
                'The holistic term trains a discriminator beside the student '
                'and needs two optimizers: set `optim_wrapper=dict('
                "constructor='mmskd.AdversarialOptimWrapperConstructor', "
                'architecture=dict(...), discriminator=dict(...))` (see '
                'configs/_base_/schedules/adversarial_80k.py).')
        return tuple(optim_wrapper[key] for key in keys)

    def _update_student(
            self, wrapper: OptimWrapper,
            losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Update the student and connectors; returns the log variables."""
        return self.guarded_update(
            wrapper, losses, synced=unwrap(self.distiller), name='student')

    def _check_recorded_widths(self, distiller: dict) -> None:
        """Refuse a discriminator built for another channel count at build
        time, where the recorded modules tell their output width (a conv's
        ``out_channels``, ``ExpectedDepth``'s 1); other recorders are
        checked on the first step's maps."""
        for role, name, model in (('student', self.student_recorder,
                                   self.student),
                                  ('teacher', self.teacher_recorder,
                                   self.teacher)):
            recorder = distiller[f'{role}_recorders'][name]
            self._check_map_channels(
                recorded_channels(recorder, model),
                f'the {role} recorder {name!r} on '
                f'{recorder.get("source")!r}')

    def _check_map_channels(self, channels: Optional[int], what: str) -> None:
        """Raise a ValueError naming ``discriminator.in_channels`` if the
        discriminator expects another channel count than ``channels``."""
        expected = getattr(unwrap(self.discriminator), 'in_channels', None)
        if channels is None or expected is None or channels == expected:
            return
        raise ValueError(
            f'discriminator.in_channels is {expected}, but {what} gives maps '
            f'of {channels} channel(s): set discriminator.in_channels='
            f'{channels} (1 for a depth map, the class count for a score '
            'map).')

    def _recorded_map(self, recorder: str, from_student: bool,
                      index: int) -> torch.Tensor:
        """One recorded call of a holistic recorder."""
        distiller = unwrap(self.distiller)
        manager = distiller.student_recorders if from_student else \
            distiller.teacher_recorders
        calls = len(manager.get_recorder(recorder).data_buffer)
        if not -calls <= index < calls:
            raise ValueError(
                f'record_indices asks for call {index} of the recorder '
                f'{recorder!r}, which recorded {calls} call(s) this step; use '
                'indices below that.')
        return distiller.get_record(recorder, from_student, index)

    def _holistic_maps(self) -> Tuple[Maps, Maps]:
        """The recorded teacher (real) and student (fake) maps per index."""
        real = [
            self._recorded_map(self.teacher_recorder, False, index)
            for index in self.record_indices
        ]
        fake = [
            self._recorded_map(self.student_recorder, True, index)
            for index in self.record_indices
        ]
        for real_map, fake_map in zip(real, fake):
            # Maps of two sizes (a student at its own resolution, or a
            # teacher of another output stride) are each scored with the
            # image at their size (see wasserstein_terms).
            if real_map.shape[:2] != fake_map.shape[:2]:
                raise ValueError(
                    'The discriminator compares teacher and student maps of '
                    f'one batch and width, got {tuple(real_map.shape)} '
                    f'(teacher) and {tuple(fake_map.shape)} (student); record '
                    'maps of the same kind (e.g. both score maps).')
            self._check_map_channels(
                real_map.shape[1],
                f'the recorder {self.teacher_recorder!r} (this step)')
        return real, fake

    def _conditioning_images(self, image: torch.Tensor, *map_lists:
                             Maps) -> Tuple[Images, ...]:
        """The image at each map's size, resized once per size and step.

        The discriminator scores each map up to four times a step (student
        term, real, fake, interpolates); resizing here spares it a resize of
        the full-resolution image on each of those calls.

        Returns:
            tuple[list]: For each list of maps, the images at their sizes
            (None each for an unconditional discriminator).
        """
        disc = unwrap(self.discriminator)
        if not getattr(disc, 'condition_on_image', False):
            return tuple([None] * len(maps) for maps in map_lists)
        sizes = {tuple(m.shape[-2:]) for maps in map_lists for m in maps}
        resized: Dict[Tuple[int, int], torch.Tensor] = dict()
        with torch.no_grad(), autocast_disabled(image.device):
            for size in sizes:
                resized[size] = disc.resize_image(image.float(), size)
        return tuple([resized[tuple(m.shape[-2:])] for m in maps]
                     for maps in map_lists)

    def _student_holistic_loss(
            self, fake_maps: Maps,
            images: List[Optional[torch.Tensor]]) -> torch.Tensor:
        """``-λ2 · Σ_l mean_n D(Q_s^l | I)``; the discriminator is frozen.

        The discriminator runs in float32 outside autocast: its spectral
        norm and input normalisation are sensitive to fp16 ranges, and it is
        small.
        """
        disc = unwrap(self.discriminator)
        # Frozen, the discriminator still updates its running statistics:
        # they belong to its next update's window.
        self.step_guard.begin('discriminator', (disc, ))
        with frozen(disc), autocast_disabled(fake_maps[0].device):
            scores = [
                disc(fake.float(), image).mean()
                for fake, image in zip(fake_maps, images)
            ]
        return -self.loss_weight * torch.stack(scores).sum()

    def _update_discriminator(self, wrapper: OptimWrapper, real_maps: Maps,
                              fake_maps: Maps, real_images: Images,
                              fake_images: Images) -> Dict[str, torch.Tensor]:
        """Update the discriminator on detached maps; returns its logs."""
        disc = unwrap(self.discriminator)
        log_vars = dict()
        pairs = list(zip(real_maps, fake_maps, real_images, fake_images))
        for _ in range(self.disc_steps):
            self.step_guard.begin('discriminator', (disc, ))
            with wrapper.optim_context(disc):
                terms = [
                    wasserstein_terms(
                        disc, real, fake, image, fake_image=fake_image)
                    for real, fake, image, fake_image in pairs
                ]
                score_real = torch.stack([t[0].mean() for t in terms]).sum()
                score_fake = torch.stack([t[1].mean() for t in terms]).sum()
                penalty = torch.stack([t[2] for t in terms]).sum()
                loss_adv = self.disc_loss_weight * (score_fake - score_real)
                loss_gp = self.disc_loss_weight * self.gp_weight * penalty
            self.step_guard.update(wrapper, loss_adv + loss_gp,
                                   'discriminator', disc)
            log_vars = {
                'disc.loss_adv': loss_adv.detach(),
                'disc.loss_gp': loss_gp.detach(),
                'disc.wdist': (score_real - score_fake).detach(),
            }
        return log_vars
