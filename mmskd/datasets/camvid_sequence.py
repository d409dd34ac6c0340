# Copyright (c) mmskd contributors. All rights reserved.
"""CamVid labelled frames with their neighbours from the videos.

Folder layout under ``data_root`` (:class:`CamVidDataset`'s, plus the
frames of CamVid's four videos and optional flow)::

    {split}/{video}_{frame}.png        the labelled frames (e.g. 0001TP_006690)
    {split}annot/{video}_{frame}.png   their label maps
    sequences/{video}_{frame}.png      every frame of the videos, 30 Hz,
                                       named as the labelled ones
    flow/{video}_{frame}_{other}.flo   (optional)

CamVid names frames by their number in their video, with each video's own
width and letter prefix (``0001TP_006690``, ``0006R0_f02430``,
``0016E5_07959``, ``Seq05VD_f00000``), and labels a subset of them. Extract
the videos' frames at the labelled frames' size, 480x360 (the videos are
960x720), named so that every labelled frame keeps its name, e.g.
``ffmpeg -i 0001TP.MXF -vf scale=480:360 -start_number 0 0001TP_%06d.png``
(``0016E5_%05d.png``, ``0006R0_f%05d.png``, ``Seq05VD_f%05d.png``; check that
the start number puts each labelled image on its name). See
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
