# Copyright (c) mmskd contributors. All rights reserved.
"""The student's task loss on the labelled samples of a batch only.

Distillation on unlabelled images (``UnlabelledImageDataset``) puts images
without labels into the student's batch: the teacher's and the student's
forward see every image, so every distillation term does, but the task loss
must be the loss of the labelled samples alone. Filling the missing labels
with the ignore index is not that: mmseg's cross-entropy with
``avg_non_ignore=False`` divides by all pixels, ignored ones included.
"""
import contextlib
import functools
from typing import Dict, Iterator, List, Optional, Sequence

import torch
from mmengine.structures import BaseDataElement
from mmrazor.models.utils import add_prefix
from torch import Tensor, nn

from mmskd.structures import is_labelled
from .families import model_family

Losses = Dict[str, Tensor]


@contextlib.contextmanager
def labelled_task_loss(student: nn.Module,
                       data_samples: Optional[Sequence[BaseDataElement]]
                       ) -> Iterator[None]:
    """Within the block, ``student.loss`` scores the labelled samples only.

    A batch whose samples are all labelled (every batch of an ordinary
    dataset) leaves the student untouched. Otherwise the student's ``loss``
    is replaced, for the block, by :func:`split_loss`, so that the call
    still goes through ``student(..., mode='loss')`` and any DDP wrapper
    around the student runs its own forward (bypassing it would leave the
    gradients unsynchronised).

    Args:
        student (nn.Module): The unwrapped student.
        data_samples (Sequence[BaseDataElement], optional): The batch's
            samples.

    Yields:
        None

    Raises:
        TypeError: If the batch has unlabelled samples and the student is
            not a segmentor or depth estimator that :func:`split_loss`
            reproduces.
    """
    if data_samples is None or all(map(is_labelled, data_samples)):
        yield
        return
    check_splittable(student)
    student.loss = functools.partial(split_loss, student)
    try:
        yield
    finally:
        del student.loss  # the class's method again


def check_splittable(student: nn.Module) -> None:
    """Refuse students whose loss :func:`split_loss` does not reproduce.

    Args:
        student (nn.Module): The unwrapped student.

    Raises:
        TypeError: Naming what is supported.
    """
    from mmseg.models.decode_heads.decode_head import BaseDecodeHead
    from mmseg.models.segmentors import DepthEstimator, EncoderDecoder
    supported = 'unlabelled images are supported for segmentors and depth ' \
        'estimators'
    if model_family(student) != 'mmseg segmentor':
        raise TypeError(
            f'{supported}; the student is a {type(student).__name__}. Train '
            'it on labelled images only.')
    own_losses = (EncoderDecoder.loss, DepthEstimator.loss)
    if not isinstance(student, EncoderDecoder) or \
            type(student).loss not in own_losses or \
            type(student)._decode_head_forward_train not in (
                EncoderDecoder._decode_head_forward_train,
                DepthEstimator._decode_head_forward_train):
        raise TypeError(
            f'{supported} whose loss is mmseg\'s EncoderDecoder / '
            f'DepthEstimator loss; {type(student).__name__} computes its own '
            '(e.g. a cascade of heads).')
    for name, head in _heads(student):
        if type(head).loss is not BaseDecodeHead.loss:
            raise TypeError(
                f'{supported} whose heads compute forward() then '
                f'loss_by_feat(); the {name} head {type(head).__name__} '
                'overrides loss().')


def split_loss(student: nn.Module, inputs: Tensor,
               data_samples: List[BaseDataElement]) -> Losses:
    """The segmentor's ``loss`` with the task loss of labelled samples only.

    The backbone and every head run on the whole batch (so recorders see
    each image); each head's ``loss_by_feat`` then gets the score maps and
    samples of the labelled images only, so the task losses equal the loss
    of a batch of those images (exactly, where the forward of one image does
    not depend on the others: BN in train mode and dropout are the
    exceptions, as for any change of the batch). A batch without a labelled
    image gives the same keys with zero values that still depend on the
    score maps, so every process of a DDP run reduces the same gradients.

    The decode head's labels of the whole batch (placeholders included) are
    stacked first, as the stock loss does, so that a recorder of
    ``_stack_batch_gt`` (IFVD's label) records them at index 0.

    Args:
        student (nn.Module): An ``EncoderDecoder`` or ``DepthEstimator``.
        inputs (Tensor): Preprocessed images, (N, 3, H, W).
        data_samples (list): The batch's samples, some unlabelled.

    Returns:
        dict: The student's losses, keyed as its own ``loss`` keys them.
    """
    from mmseg.models.segmentors import DepthEstimator
    if isinstance(student, DepthEstimator):
        feats = student.extract_feat(
            inputs, [sample.metainfo for sample in data_samples])
    else:
        feats = student.extract_feat(inputs)
    labelled = [i for i, s in enumerate(data_samples) if is_labelled(s)]
    losses: Losses = dict()
    for index, (name, head) in enumerate(_heads(student)):
        logits = head.forward(feats)
        if not isinstance(logits, Tensor):
            raise TypeError(
                f'unlabelled images need heads whose forward returns one '
                f'score map; the {name} head returns {type(logits).__name__}.')
        if index == 0:
            head._stack_batch_gt(data_samples)
        losses.update(
            add_prefix(_head_loss(head, logits, data_samples, labelled),
                       name))
    return losses


def _heads(student: nn.Module) -> List[tuple]:
    """(loss prefix, head) pairs in the order mmseg's loss runs them."""
    heads = [('decode', student.decode_head)]
    aux = getattr(student, 'auxiliary_head', None)
    if isinstance(aux, nn.ModuleList):
        heads += [(f'aux_{i}', head) for i, head in enumerate(aux)]
    elif aux is not None:
        heads.append(('aux', aux))
    return heads


def _head_loss(head: nn.Module, logits: Tensor,
               data_samples: List[BaseDataElement],
               labelled: List[int]) -> Losses:
    """One head's losses on the labelled samples, or keyed zeros."""
    if labelled:
        index = torch.tensor(labelled, device=logits.device)
        return head.loss_by_feat(logits.index_select(0, index),
                                 [data_samples[i] for i in labelled])
    # Only the keys are wanted: score one placeholder sample without
    # gradient, then give every key a zero on the graph of the score maps.
    with torch.no_grad():
        keys = head.loss_by_feat(logits[:1].detach(), data_samples[:1])
    zero = logits.float().sum() * 0.0
    return {
        key: [zero] * len(value) if isinstance(value, (list, tuple)) else zero
        for key, value in keys.items()
    }
