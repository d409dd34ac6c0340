# Copyright (c) mmskd contributors. All rights reserved.
"""Cityscapes labelled frames with their neighbours from the sequences.

Folder layout under ``data_root`` (Cityscapes' own, plus optional flow)::

    leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelTrainIds.png
    leftImg8bit_sequence/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    flow/{split}/{city}/{city}_{seq}_{frame}_{other}.flo     (optional)

``{seq}`` and ``{frame}`` are 6-digit numbers; the sequence folder holds
consecutive frame numbers of each snippet (Cityscapes: 30 frames, the
labelled one is the 20th). See :class:`FrameSequenceMixin` for the samples.
"""
from typing import Sequence

from mmseg.registry import DATASETS

from .checked_datasets import CheckedCityscapesDataset
from .frame_sequence import FrameSequenceMixin


@DATASETS.register_module()
class CityscapesSequenceDataset(FrameSequenceMixin,
                                CheckedCityscapesDataset):
    """Labelled Cityscapes frames served with neighbouring sequence frames.

    Training samples are triplets at a gap drawn from ``gaps`` (the official
    code's {1, 2} on Cityscapes), evaluation samples the frames at
    ``eval_offsets`` (:class:`FrameSequenceMixin`).

    Args:
        gaps (Sequence[int]): The gaps g to draw from in training.
            Defaults to (1, 2).
        **kwargs: ``eval_offsets``, ``flow_suffix`` and ``data_prefix``
            (with ``seq_path``, e.g. ``'leftImg8bit_sequence/train'``) of
            :class:`FrameSequenceMixin`, and the arguments of
            :class:`CheckedCityscapesDataset` (mmseg's
            ``CityscapesDataset`` with its labels checked at load).
    """
    FRAME_NAME = '{city}_{seq}_{frame}'

    def __init__(self, gaps: Sequence[int] = (1, 2), **kwargs) -> None:
        super().__init__(gaps=gaps, **kwargs)
