# Copyright (c) mmskd contributors. All rights reserved.
"""Temporal-consistency distillation of a per-frame student (thesis ch. 5)."""
from typing import Dict, List, Optional, Union

from mmengine.optim import OptimWrapper
from mmrazor.models.utils import add_prefix
from torch import Tensor, nn

from mmskd.registry import MODELS
from ..utils import unwrap
from .sequence_mixin import FrameBatch, SequenceMixin, merge_records
from .structured_distill import StructuredDistill

VIDEO_TERMS = ('loss_tl', 'loss_pf', 'loss_mf')


@MODELS.register_module()
class VideoDistill(SequenceMixin, StructuredDistill):
    """Distil a frozen, temporally consistent teacher into a per-frame
    student on frame sequences (Liu et al., ECCV 2020; thesis ch. 5).

    Each training sample is a sequence of frames with one labelled frame
    (``CityscapesSequenceDataset``: (frame_f, labelled, frame_b)). Per step:

    - the frozen teacher runs once, in tensor mode, on every frame;
    - the student runs on the labelled frames in loss mode (its task loss,
      labels exist only there) and on the other frames in tensor mode; the
      records of both calls are joined, so the distiller's losses (the
      single-frame terms SF: pixel-wise and pair-wise) cover every frame;
    - the flow of each (labelled, other) pair is computed once with the
      configured flow source (``TASK_UTILS``, never part of the model);
    - the video terms, each summed over the pairs as in eq. (5.3):
      ``temporal_loss`` (TL on the student's score maps), ``pair_frame_loss``
      (PF between the pair's student and teacher score maps) and
      ``multi_frame_loss`` (MF on the features of the whole sequence, its
      ConvLSTM trained with the student).

    The total is ``CE + SF + TL + PF + MF``; eq. (5.3)'s λ = 0.1 sits in the
    terms' ``loss_weight`` (SF's 0.3 = λ · 3 frames, since the distiller's
    losses average over the frames that eq. (5.3) sums). A term set to None
    is left out, which gives the ablation rows of the thesis's Table 5.1.
    The MF ConvLSTM is a submodule of this algorithm (in its checkpoints and
    its one optimizer); ``tools/model_converters/convert_to_student.py``
    keeps only the student. Validation predicts every frame of an
    evaluation sequence and fills the fields of
    ``TemporalConsistencyMetric``; plain images are predicted as by the
    student.

    Args:
        architecture (dict | BaseModel): The student.
        teacher (dict | BaseModel): The teacher (trained with TL first,
            e.g. by :class:`TemporalTraining`).
        distiller (dict): The distiller (recorders and the SF losses).
        flow_source (dict): A flow source, e.g. ``dict(type='RAFTFlow')``.
        temporal_loss (dict, optional): TL, e.g.
            ``dict(type='MotionGuidedTemporalLoss', loss_weight=0.1)``.
        pair_frame_loss (dict, optional): PF.
        multi_frame_loss (dict, optional): MF.
        logits_recorder (str): The recorder of the score maps (TL, PF).
            Defaults to 'logits'.
        feature_recorder (str): The recorder of the features before the
            classifier (MF). Defaults to 'feature'.
        sequence_preprocessor (dict, optional): The ``MODELS`` config of
            the wrapper that preprocesses sequences frame by frame with the
            student's preprocessor. Defaults to
            ``dict(type='SequenceDataPreProcessor')``; None keeps a
            ``data_preprocessor`` that takes sequences itself.
        **kwargs: The arguments of :class:`StructuredDistill`.
    """

    # Its frame sequences run at the batch's size.
    supports_input_scales = False
    # Its teacher runs on frame sequences, one network.
    supports_teacher_ensemble = False

    def __init__(self,
                 architecture,
                 teacher,
                 distiller: dict,
                 flow_source: dict,
                 temporal_loss: Optional[dict] = None,
                 pair_frame_loss: Optional[dict] = None,
                 multi_frame_loss: Optional[dict] = None,
                 logits_recorder: str = 'logits',
                 feature_recorder: str = 'feature',
                 sequence_preprocessor: Optional[dict] = SequenceMixin.
                 SEQUENCE_PREPROCESSOR,
                 **kwargs) -> None:
        super().__init__(architecture, teacher, distiller, **kwargs)
        self.build_flow_source(flow_source)
        self.wrap_preprocessor(sequence_preprocessor)
        terms = zip(VIDEO_TERMS,
                    (temporal_loss, pair_frame_loss, multi_frame_loss))
        self.video_losses = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in terms if cfg is not None
        })
        self.logits_recorder = logits_recorder
        self.feature_recorder = feature_recorder
        needed = dict(
            loss_tl=('logits_recorder', logits_recorder),
            loss_pf=('logits_recorder', logits_recorder),
            loss_mf=('feature_recorder', feature_recorder))
        for name in self.video_losses:
            field, recorder = needed[name]
            for role in ('student', 'teacher'):
                self.check_recorder(role, recorder, f'{field} (of {name})')

    def loss(self,
             batch_inputs: Tensor,
             data_samples: Optional[list] = None) -> Dict[str, Tensor]:
        """Task loss on the labelled frames, SF and the video terms.

        Args:
            batch_inputs (Tensor): (N, L, 3, H, W) preprocessed sequences.
            data_samples (list): Their samples (labels of the labelled
                frames, sequence meta).

        Returns:
            dict: ``student.*`` task losses and ``distill.*`` terms.
        """
        if batch_inputs.dim() != 5:
            raise ValueError(
                'VideoDistill trains on frame sequences (N, L, 3, H, W), but '
                f'got inputs of shape {tuple(batch_inputs.shape)}; use '
                'CityscapesSequenceDataset with LoadSequenceFrames.')
        batch = self.split_frames(batch_inputs, data_samples)
        distiller = unwrap(self.distiller)
        self.run_teacher(batch.frames[batch.order].flatten(0, 1), None)
        distiller.set_deliveries_override(True)
        with distiller.student_recorders, distiller.deliveries:
            student_losses = self.run_frames(
                unwrap(self.student), batch, data_samples)
        merge_records(distiller.student_recorders, 'student')
        losses = add_prefix(student_losses, 'student') \
            if self.calculate_student_loss else dict()
        if self.distillation_stopped:
            return losses
        losses.update(
            add_prefix(distiller.compute_distill_losses(), 'distill'))
        losses.update(
            add_prefix(self._video_terms(batch, data_samples), 'distill'))
        return losses

    def _video_terms(self, batch: FrameBatch,
                     data_samples: list) -> Dict[str, Tensor]:
        """TL, PF and MF of one batch, each summed over its pairs."""
        distiller = unwrap(self.distiller)
        video_losses = unwrap(self.video_losses)

        def maps(recorder: str, from_student: bool) -> List[Tensor]:
            record = distiller.get_record(recorder, from_student)
            return self.frame_maps(record, batch)

        terms = dict()
        if 'loss_tl' in video_losses:
            flows = self.pair_flows(batch, data_samples)
            terms['loss_tl'] = self.temporal_loss(
                video_losses['loss_tl'], maps(self.logits_recorder, True),
                batch, flows)
        if 'loss_pf' in video_losses:
            logits_S = maps(self.logits_recorder, True)
            logits_T = maps(self.logits_recorder, False)
            terms['loss_pf'] = sum(video_losses['loss_pf'](
                logits_S[i], logits_S[j], logits_T[i], logits_T[j])
                                   for i, j in batch.pairs)
        if 'loss_mf' in video_losses:
            terms['loss_mf'] = video_losses['loss_mf'](maps(
                self.feature_recorder, True), maps(self.feature_recorder,
                                                   False))
        return terms

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One update of the student, the connectors and the MF ConvLSTM.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The one optimizer of all three.

        Returns:
            dict: The log variables.
        """
        # The student runs twice per step (labelled frames in loss mode, the
        # others in tensor mode), and DDP's reducer allows one forward per
        # backward; so it is called unwrapped, and every trained part (the
        # student, the connectors, the MF ConvLSTM) averages its gradients
        # by hand, in one coalesced all-reduce.
        synced = nn.ModuleList([
            unwrap(self.student),
            unwrap(self.distiller),
            unwrap(self.video_losses)
        ])
        return self.guarded_train_step(
            data,
            optim_wrapper,
            trained=synced,
            context=unwrap(self.student),
            synced=synced,
            name='student')

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """The student's predictions, with the TC fields for sequences.

        Args:
            inputs (Tensor): (N, L, 3, H, W) sequences or (N, 3, H, W).
            data_samples (list): Their samples.

        Returns:
            list: The (labelled frames') samples with predictions.
        """
        if inputs.dim() == 4:
            return self.student(inputs, data_samples, mode='predict')
        return self.predict_sequences(self.student, inputs, data_samples)

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        """``loss``, ``predict`` or the student's ``tensor`` forward."""
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)
