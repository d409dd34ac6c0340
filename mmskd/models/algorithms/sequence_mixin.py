# Copyright (c) mmskd contributors. All rights reserved.
"""What every algorithm trained on frame sequences shares: splitting a batch
into frames, one flow computation per sample, the temporal loss over frame
pairs, and predictions that carry the temporal-consistency fields."""
import copy
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from mmskd.registry import MODELS, TASK_UTILS
from ..data_preprocessors import SequenceDataPreProcessor
from ..utils import unwrap

Pair = Tuple[int, int]


class FrameBatch(NamedTuple):
    """A batch of frame sequences, frame-major.

    Attributes:
        frames (Tensor): (L, N, 3, H, W), normalised, in temporal order.
        labelled (int): Index of the labelled frame.
        pairs (Tuple[Pair, ...]): Frame-index pairs (i, j) of the flows.
        gaps (List[List[int]]): Per pair, each sample's signed frame gap.
    """
    frames: Tensor
    labelled: int
    pairs: Tuple[Pair, ...]
    gaps: List[List[int]]

    @property
    def order(self) -> List[int]:
        """Frames in the order the networks see them: labelled first."""
        return [self.labelled
                ] + [j for j in range(len(self.frames)) if j != self.labelled]


def resize_flow(flow: Tensor, size: Sequence[int]) -> Tensor:
    """Resize a flow field and scale its vectors to the new pixel grid.

    Args:
        flow (Tensor): (N, 2, H, W), (dx, dy) in pixels.
        size (Sequence[int]): The target (H', W').

    Returns:
        Tensor: (N, 2, H', W'), dx scaled by W'/W and dy by H'/H.
    """
    height, width = flow.shape[-2:]
    if (height, width) == tuple(size):
        return flow
    # Half-pixel sampling (align_corners=False) maps x to x * W'/W, the
    # factor the vectors are scaled by, as the pipeline's flow resize does.
    resized = F.interpolate(
        flow, size=tuple(size), mode='bilinear', align_corners=False)
    scale = flow.new_tensor([size[1] / width, size[0] / height])
    return resized * scale.view(1, 2, 1, 1)


def merge_records(manager, what: str) -> None:
    """Join the calls each recorder recorded into one, in call order.

    The network runs twice per step (the labelled frames in loss mode, the
    other frames in tensor mode); the distiller's losses read record 0, so
    joining makes them see every frame of the batch, as the teacher's single
    call does.

    Args:
        manager: A ``RecorderManager``.
        what (str): Whose recorders, for the error.
    """
    for name, recorder in manager.recorders.items():
        buffer = recorder.data_buffer
        if len(buffer) < 2:
            continue
        if not all(isinstance(item, Tensor) for item in buffer):
            raise TypeError(
                f'The {what} recorder {name!r} recorded non-tensor outputs; '
                'the video algorithms record tensors (e.g. ModuleOutputs of '
                'decode_head.conv_seg).')
        recorder._data_buffer = [torch.cat(buffer)]


def packed_flows(data_samples: Sequence[SegDataSample], num_pairs: int,
                 size: Sequence[int]) -> Tensor:
    """The flow the samples carry (``gt_flow``), padded like the frames.

    The pipeline read the flow files and resized, cropped and flipped the
    flow with the frames; the data preprocessor then padded the frames at
    the bottom and right to the batch size, so the flow is zero-padded the
    same way (no motion where there is no frame).

    Args:
        data_samples (Sequence[SegDataSample]): Samples with ``gt_flow`` of
            shape (2 * P, h, w), (dx, dy) of pair p in channels 2p, 2p + 1.
        num_pairs (int): P, the frame pairs of the batch.
        size (Sequence[int]): The (H, W) of the padded frames.

    Returns:
        Tensor: (P, N, 2, H, W), the flow of each pair.

    Raises:
        ValueError: If a sample lacks ``gt_flow`` or its flow does not fit
            the pairs or the frames.
    """
    flows = []
    for sample in data_samples:
        if 'gt_flow' not in sample:
            raise ValueError(
                'PrecomputedFlow takes the flow the data samples carry '
                "(gt_flow): set the dataset's data_prefix['flow_path'], load "
                'it with LoadSequenceAnnotations (or LoadSequenceFlow) and '
                'pack it with PackSequenceInputs (configs/_base_/datasets/'
                'cityscapes-seq-512x1024.py).')
        flow = sample.gt_flow.data
        height, width = flow.shape[-2:]
        if flow.shape[0] != 2 * num_pairs or height > size[0] or \
                width > size[1]:
            raise ValueError(
                f"The gt_flow of {sample.metainfo.get('img_path')} has shape "
                f'{tuple(flow.shape)}, but the batch has {num_pairs} frame '
                f'pairs of frames {tuple(size)}: expected (2 * pairs, H, W).')
        flows.append(
            F.pad(flow.float(), (0, size[1] - width, 0, size[0] - height)))
    return torch.stack(flows).unflatten(1, (num_pairs, 2)).transpose(0, 1)


class SequenceMixin:
    """Frame handling for algorithms trained on frame sequences.

    The host sets ``self.flow_source`` with :meth:`build_flow_source` and
    wraps its data preprocessor with :meth:`wrap_preprocessor`.
    """

    #: The default ``sequence_preprocessor`` of the hosts.
    SEQUENCE_PREPROCESSOR = dict(type='SequenceDataPreProcessor')

    def build_flow_source(self, flow_source: dict) -> None:
        """Build the flow source from ``TASK_UTILS`` (not a submodule).

        Args:
            flow_source (dict): E.g. ``dict(type='RAFTFlow')``.
        """
        self.flow_source = TASK_UTILS.build(flow_source)

    def wrap_preprocessor(self, sequence_preprocessor: Optional[dict]) -> None:
        """Preprocess sequences frame by frame with the current preprocessor.

        Args:
            sequence_preprocessor (dict, optional): A ``MODELS`` config of
                the wrapper, e.g. ``dict(type='SequenceDataPreProcessor')``,
                given the current preprocessor as ``frame_preprocessor``.
                None keeps a data preprocessor that takes sequences itself.
        """
        if sequence_preprocessor is None or isinstance(
                self.data_preprocessor, SequenceDataPreProcessor):
            return
        self.data_preprocessor = MODELS.build(
            sequence_preprocessor,
            default_args=dict(frame_preprocessor=self.data_preprocessor))

    def split_frames(self, inputs: Tensor,
                     data_samples: Sequence[SegDataSample]) -> FrameBatch:
        """The frames of a (N, L, 3, H, W) batch and their sequence meta.

        Args:
            inputs (Tensor): Preprocessed sequences.
            data_samples (Sequence[SegDataSample]): Their samples, with
                ``labelled_index``, ``frame_offsets`` and ``flow_pairs``.

        Returns:
            FrameBatch: The frames and pairs.

        Raises:
            ValueError: If the samples of the batch disagree on the labelled
                index or the pairs, or lack the sequence meta.
        """
        metas = [sample.metainfo for sample in data_samples]
        keys = ('labelled_index', 'frame_offsets', 'flow_pairs')
        missing = [key for key in keys if key not in metas[0]]
        if missing:
            raise ValueError(
                f'{type(self).__name__} trains on frame sequences, but the '
                f'data samples lack {missing}: use CityscapesSequenceDataset '
                'and pack its meta keys (configs/_base_/datasets/'
                'cityscapes-seq-512x1024.py).')
        labelled = {meta['labelled_index'] for meta in metas}
        pairs = {tuple(map(tuple, meta['flow_pairs'])) for meta in metas}
        if len(labelled) != 1 or len(pairs) != 1:
            raise ValueError('The samples of a batch must share the labelled '
                             f'index and frame pairs, got {labelled}, {pairs}')
        pairs = pairs.pop()
        gaps = [[
            meta['frame_offsets'][j] - meta['frame_offsets'][i]
            for meta in metas
        ] for i, j in pairs]
        return FrameBatch(inputs.transpose(0, 1), labelled.pop(), pairs, gaps)

    def pair_flows(self, batch: FrameBatch,
                   data_samples: Sequence[SegDataSample]) -> List[Tensor]:
        """The flow of every frame pair, computed once per sample.

        Args:
            batch (FrameBatch): The frames.
            data_samples (Sequence[SegDataSample]): Their samples.

        Returns:
            list[Tensor]: Per pair, the flows (N, 2, H, W) from frame i to j.

        Raises:
            ValueError: For a flow source whose flow comes with the data
                (``PrecomputedFlow``), if a sample lacks the packed
                ``gt_flow`` or it does not fit (see :func:`packed_flows`).
        """
        given = None
        if self.flow_source.flow_from_data:
            # The pipeline augmented the flow with the frames, so flipped,
            # rescaled and cropped samples get their own motion.
            given = packed_flows(data_samples, len(batch.pairs),
                                 batch.frames.shape[-2:])
            given = given.to(batch.frames.device)
        flows = []
        for index, (i, j) in enumerate(batch.pairs):
            flows.append(
                self.flow_source(
                    batch.frames[i],
                    batch.frames[j],
                    frame_gaps=batch.gaps[index],
                    given_flow=None if given is None else given[index]))
        return flows

    def frame_maps(self, record: Tensor, batch: FrameBatch) -> List[Tensor]:
        """Split a record of all frames (network order) into temporal order.

        Args:
            record (Tensor): (L * N, ...) in ``batch.order``.
            batch (FrameBatch): The frames.

        Returns:
            list[Tensor]: L maps of (N, ...), in temporal order.
        """
        chunks = record.chunk(len(batch.frames))
        maps: List[Optional[Tensor]] = [None] * len(chunks)
        for chunk, frame in zip(chunks, batch.order):
            maps[frame] = chunk
        return maps

    def temporal_loss(self, loss: nn.Module, logits: List[Tensor],
                      batch: FrameBatch, flows: List[Tensor]) -> Tensor:
        """A network's TL summed over the frame pairs (eq. 5.3).

        Args:
            loss (nn.Module): A ``MotionGuidedTemporalLoss``.
            logits (list[Tensor]): The network's maps per frame.
            batch (FrameBatch): The frames.
            flows (list[Tensor]): The flow of each pair.

        Returns:
            Tensor: The summed loss.
        """
        # The occlusion mask compares [0, 1] RGB frames, the thesis's
        # reading (normalised frames would make it about 4x sharper).
        images = unwrap(self.data_preprocessor).unit_range(batch.frames)
        return sum(
            loss(logits[i], logits[j], images[i], images[j], flow)
            for (i, j), flow in zip(batch.pairs, flows))

    def run_frames(self, model: nn.Module, batch: FrameBatch,
                   data_samples: Sequence[SegDataSample]) -> Dict[str, Tensor]:
        """The labelled frames in loss mode, then the others in tensor mode.

        Call inside the recorders' context; afterwards
        :func:`merge_records` joins the two calls.

        Args:
            model (nn.Module): The network being trained.
            batch (FrameBatch): The frames.
            data_samples (Sequence[SegDataSample]): Labels of the labelled
                frames.

        Returns:
            dict: The network's task losses on the labelled frames.
        """
        losses = model(batch.frames[batch.labelled], data_samples, mode='loss')
        others = batch.frames[batch.order[1:]].flatten(0, 1)
        model(others, None, mode='tensor')
        return losses

    def predict_sequences(
            self, model: nn.Module, inputs: Tensor,
            data_samples: List[SegDataSample]) -> List[SegDataSample]:
        """Predict every frame; fill the temporal-consistency fields.

        The labelled frame's samples get ``pred_sem_seg`` as usual, plus
        ``seq_pred_sem_seg`` (L, H, W) and ``seq_flow`` (L - 1, 2, H, W)
        between consecutive frames, or ``seq_flow_paths`` for precomputed
        flow (read by the metric).

        Args:
            model (nn.Module): The network to evaluate.
            inputs (Tensor): (N, L, 3, H, W) preprocessed sequences.
            data_samples (list[SegDataSample]): Their samples.

        Returns:
            list[SegDataSample]: The labelled frames' samples.
        """
        batch = self.split_frames(inputs, data_samples)
        preds = []
        for frame in range(len(batch.frames)):
            samples = data_samples if frame == batch.labelled else [
                SegDataSample(metainfo=copy.deepcopy(s.metainfo))
                for s in data_samples
            ]
            outputs = model(batch.frames[frame], samples, mode='predict')
            preds.append(
                torch.stack([out.pred_sem_seg.data[0] for out in outputs]))
        seq_preds = torch.stack(preds, dim=1)  # (N, L, H, W)
        consecutive = [(i, i + 1) for i in range(len(batch.frames) - 1)]
        flows = None
        if not self.flow_source.flow_from_data:
            gaps = [[1] * len(data_samples)] * len(consecutive)
            flows = self.pair_flows(
                batch._replace(pairs=tuple(consecutive), gaps=gaps),
                data_samples)
            flows = torch.stack(
                [resize_flow(f, seq_preds.shape[-2:]) for f in flows], dim=1)
        for index, sample in enumerate(data_samples):
            sample.seq_pred_sem_seg = seq_preds[index]
            if flows is None:
                sample.seq_flow_paths = list(sample.metainfo['flow_paths'])
            else:
                sample.seq_flow = flows[index]
        return data_samples
