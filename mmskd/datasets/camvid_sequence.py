# Copyright (c) mmskd contributors. All rights reserved.
"""CamVid labelled frames with their neighbours from the videos.

Folder layout under ``data_root`` (:class:`CamVidDataset`'s, plus the
frames of CamVid's four videos and optional flow)::

    {split}/{video}_{frame}.png        the labelled frames (e.g. 0001TP_006690)
    {split}annot/{video}_{frame}.png   their label maps
    sequences/{video}_{frame}.png      every frame of the videos, 30 Hz,
                                       named as the labelled ones
    flow/{video}_{frame}_{other}.flo   (optional)

CamVid labels one frame a second (every 30th, or 15th for 0006R0) and
names frames by their number in the video, with each video's own width
and letter prefix (``0001TP_006690``, ``0006R0_f02430``, ``0016E5_07959``,
``Seq05VD_f00000``); extract the frames of the videos (e.g. with
``ffmpeg -i 0001TP.MXF -start_number 0 %06d.png``, then prefix the names)
so that the labelled ones keep their names. See
:class:`FrameSequenceMixin` for the samples.
"""
from typing import Sequence

from mmseg.registry import DATASETS

from .camvid import CamVidDataset
from .frame_sequence import FrameSequenceMixin


@DATASETS.register_module()
class CamVidSequenceDataset(FrameSequenceMixin, CamVidDataset):
    """Labelled CamVid frames served with neighbouring video frames.

    Training samples are triplets at a gap drawn from ``gaps`` (the official
    code's {1, 2, 3} on CamVid), evaluation samples the frames at
    ``eval_offsets`` (:class:`FrameSequenceMixin`).

    Args:
        gaps (Sequence[int]): The gaps g to draw from in training.
            Defaults to (1, 2, 3).
        **kwargs: ``eval_offsets``, ``flow_suffix`` and ``data_prefix``
            (with ``seq_path``, e.g. ``'sequences'``) of
            :class:`FrameSequenceMixin`, and the arguments of
            :class:`CamVidDataset`.
    """
    FRAME_NAME = '{video}_{frame}'

    def __init__(self, gaps: Sequence[int] = (1, 2, 3), **kwargs) -> None:
        super().__init__(gaps=gaps, **kwargs)
