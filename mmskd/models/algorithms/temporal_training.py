# Copyright (c) mmskd contributors. All rights reserved.
"""Train one segmentor on frame sequences with the motion-guided temporal
loss: the temporally consistent teacher of thesis ch. 5."""
from typing import Dict, Optional, Union

from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.models.utils import add_prefix
from torch import Tensor

from mmskd.registry import MODELS, TASK_UTILS
from ..distillers import check_recorder_exists
from ..utils import keep_unwrapped_names, unwrap
from .guarded_step import GuardedStepMixin
from .sequence_mixin import SequenceMixin, merge_records

# The score maps of an mmseg segmentor.
LOGITS_RECORDERS = dict(
    type='RecorderManager',
    recorders=dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')))


@MODELS.register_module()
class TemporalTraining(SequenceMixin, GuardedStepMixin, BaseAlgorithm):
    """A segmentor trained with CE on the labelled frames + TL on sequences.

    The thesis pre-trains its teacher this way (ch. 5, Fig. 5.2b; Table 5.3:
    PSPNet101 + TL gains +0.69 mIoU and +1.97 TC). Per step the network runs
    on the labelled frames in loss mode and, with TL, on the other frames in
    tensor mode, the flow of each (labelled, other) pair is computed once, and
    ``temporal_loss`` (TL on the recorded score maps) is summed over the
    pairs. The checkpoint holds the network under ``architecture.``; it is a
    ``teacher_ckpt`` of :class:`VideoDistill` as it is, and
    ``tools/model_converters/convert_to_student.py`` turns it into a
    model-zoo style checkpoint. Validation
    predicts every frame and fills the fields of the TC metric. Training is
    guarded as :class:`StructuredDistill`'s (see :class:`GuardedStepMixin`).

    Args:
        architecture (dict | BaseModel): The segmentor, e.g.
            ``dict(cfg_path='mmseg::pspnet/...')``.
        flow_source (dict): A flow source from ``TASK_UTILS``.
        temporal_loss (dict, optional): The TL config. None trains the
            segmentor on the labelled frames alone (CE): the per-frame
            baseline of thesis Table 5.1, still evaluated for TC.
        recorders (dict, optional): A ``TASK_UTILS`` config of the recorder
            manager that records the score maps, e.g.
            ``dict(type='RecorderManager', recorders=dict(logits=dict(
            type='ModuleOutputs', source='decode_head.conv_seg')))``
            (configs/_base_/methods/temporal.py). Defaults to that one.
        logits_recorder (str): Its recorder of the score maps. Defaults to
            ``'logits'``.
        sequence_preprocessor (dict, optional): The ``MODELS`` config of
            the wrapper that preprocesses sequences frame by frame with
            ``data_preprocessor``. Defaults to
            ``dict(type='SequenceDataPreProcessor')``; None keeps a
            ``data_preprocessor`` that takes sequences itself.
        data_preprocessor (dict, optional): Defaults to the segmentor's.
        init_cfg (dict, optional): Initialisation config.
        max_skipped_steps (int): Stop the run after this many updates in a
            row skipped for non-finite gradients. Defaults to 10.
    """

    def __init__(self,
                 architecture: Union[dict, BaseModel],
                 flow_source: dict,
                 temporal_loss: Optional[dict],
                 recorders: Optional[dict] = None,
                 logits_recorder: str = 'logits',
                 sequence_preprocessor: Optional[dict] = SequenceMixin.
                 SEQUENCE_PREPROCESSOR,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 max_skipped_steps: int = 10) -> None:
        super().__init__(
            MODELS.build(architecture),
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.build_flow_source(flow_source)
        self.wrap_preprocessor(sequence_preprocessor)
        self.temporal_term = None if temporal_loss is None else \
            MODELS.build(temporal_loss)
        self.recorders = TASK_UTILS.build(recorders or LOGITS_RECORDERS)
        check_recorder_exists(self.recorders.recorders, logits_recorder,
                              'logits_recorder', 'recorders.recorders')
        self.logits_recorder = logits_recorder
        self.recorders.initialize(self.architecture)
        self.init_step_guard(max_skipped_steps)
        keep_unwrapped_names(self)

    def loss(self, batch_inputs: Tensor,
             data_samples: list) -> Dict[str, Tensor]:
        """CE on the labelled frames and TL over the frame pairs.

        Args:
            batch_inputs (Tensor): (N, L, 3, H, W) preprocessed sequences.
            data_samples (list): Their samples.

        Returns:
            dict: The task losses and ``temporal.loss_tl`` (none without
            ``temporal_loss``).
        """
        batch = self.split_frames(batch_inputs, data_samples)
        network = unwrap(self.architecture)
        if self.temporal_term is None:
            return network(
                batch.frames[batch.labelled], data_samples, mode='loss')
        with self.recorders:
            losses = self.run_frames(network, batch, data_samples)
        merge_records(self.recorders, 'network')
        logits = self.frame_maps(
            self.recorders.get_recorder(
                self.logits_recorder).get_record_data(), batch)
        flows = self.pair_flows(batch, data_samples)
        losses = dict(losses)
        losses.update(
            add_prefix(
                dict(
                    loss_tl=self.temporal_loss(self.temporal_term, logits,
                                               batch, flows)), 'temporal'))
        return losses

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One guarded update of the network.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The network's optimizer.

        Returns:
            dict: The log variables.
        """
        # With TL the network runs twice per step (see
        # VideoDistill.train_step), so it is called unwrapped and its
        # gradients are averaged by hand.
        network = unwrap(self.architecture)
        return self.guarded_train_step(
            data,
            optim_wrapper,
            trained=(network, ),
            context=network,
            synced=network,
            name='network')

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        """``loss``; ``predict`` with the TC fields for sequences; or the
        network's ``tensor`` forward."""
        if mode == 'predict' and inputs.dim() == 5:
            return self.predict_sequences(self.architecture, inputs,
                                          data_samples)
        return super().forward(inputs, data_samples, mode)
