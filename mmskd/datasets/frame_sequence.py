# Copyright (c) mmskd contributors. All rights reserved.
"""Labelled frames served with their neighbours from a folder of sequences.

The part every frame-sequence dataset shares (``CityscapesSequenceDataset``,
``CamVidSequenceDataset``): the gap drawn per sample, the fixed offsets of
evaluation, the frame and flow files of a sample and the checks that name a
missing one. A frame file is ``{prefix}_{frame}{img_suffix}``, where
``{frame}`` is the frame number with its own width and an optional letter
prefix (Cityscapes ``000019``; CamVid ``006690``, ``f02430`` or ``07959``);
neighbours keep both. A flow file ``{prefix}_{frame}_{other}{flow_suffix}``
holds the flow from one frame to another at the frames' full resolution,
(H, W, 2), see :mod:`mmskd.models.flow.flow_io`.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

FRAME = re.compile(r'^(?P<letters>[A-Za-z]*)(?P<digits>\d+)$')


class FrameNumber:
    """A frame number as its file name writes it (letters, width).

    Args:
        text (str): The number part of a file name, e.g. ``'f02430'``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        match = FRAME.match(text)
        if match is None:
            raise ValueError(f'{text!r} is not a frame number')
        self.letters = match.group('letters')
        self.width = len(match.group('digits'))
        self.value = int(match.group('digits'))

    def __repr__(self) -> str:
        return f'FrameNumber({self.text!r})'

    @staticmethod
    def parses(text: str) -> bool:
        """Whether ``text`` is a frame number.

        Args:
            text (str): The number part of a file name.

        Returns:
            bool: True if it is letters (optional) then digits.
        """
        return FRAME.match(text) is not None

    def at(self, offset: int) -> str:
        """The text of the frame ``offset`` frames away.

        Args:
            offset (int): Signed frame offset.

        Returns:
            str: The same letters and width, e.g. ``'f02429'`` for -1.
        """
        return f'{self.letters}{self.value + offset:0{self.width}d}'


class FrameSequenceMixin:
    """Serves a labelled frame with its neighbouring frames.

    Mixed in before an mmseg dataset class, whose data infos it extends.
    Without ``eval_offsets`` (training) it serves, for each labelled frame,
    the triplet (frame_f, labelled, frame_b) at frame offsets (-g, 0, +g),
    with one gap g drawn per fetch from ``gaps`` and shared forwards and
    backwards: the thesis's random-sample policy (ch. 5, Table 5.2). With
    ``eval_offsets`` (evaluation) it serves the frames at those fixed
    consecutive offsets (e.g. the labelled frame and the next, for the
    temporal-consistency metric).

    Each data info carries ``frame_paths`` (in temporal order),
    ``frame_offsets``, ``labelled_index`` (the labelled frame's place in
    them), ``flow_pairs`` (index pairs (i, j): the flow from frame i to
    frame j is needed: (labelled, other) in training, (i, i + 1) in
    evaluation) and, with ``data_prefix['flow_path']``, ``flow_paths``, one
    file per pair. ``LoadSequenceFrames`` loads the frames into one image
    with the frames stacked on the channel axis, so every later transform
    (resize, crop, flip) treats all frames alike; labels exist for the
    labelled frame only.

    Every file a sample can need is checked when the dataset loads, so a
    missing neighbour frame or flow file, or a sequence folder with a gap
    in its frame numbers, fails at once with the file named.

    Args:
        gaps (Sequence[int]): The gaps g to draw from in training.
        eval_offsets (Sequence[int], optional): Fixed consecutive frame
            offsets to serve instead of random triplets; must hold 0.
            Defaults to None (training triplets).
        flow_suffix (str): Suffix of flow files ('.flo' or '.npy').
            Defaults to '.flo'.
        data_prefix (dict): As mmseg's, plus ``seq_path`` (the sequence
            folder of the split) and optionally ``flow_path``.
        **kwargs: The arguments of the mmseg dataset class.
    """
    # How labelled frames are named, for the error on a name that is not
    # one; subclasses name their dataset's pattern.
    FRAME_NAME = '{prefix}_{frame number}'

    def __init__(self,
                 gaps: Sequence[int] = (1, 2),
                 eval_offsets: Optional[Sequence[int]] = None,
                 flow_suffix: str = '.flo',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        if not gaps or any(int(g) < 1 for g in gaps):
            raise ValueError(f'gaps must be positive frame gaps, got {gaps}')
        offsets = None if eval_offsets is None else [
            int(o) for o in eval_offsets
        ]
        if offsets is not None and (0 not in offsets or offsets != list(
                range(offsets[0], offsets[0] + len(offsets)))):
            raise ValueError('eval_offsets must be consecutive offsets that '
                             f'hold 0 (the labelled frame), got {offsets}')
        data_prefix = dict(data_prefix or {})
        if 'seq_path' not in data_prefix:
            raise ValueError(
                f"{type(self).__name__} needs data_prefix['seq_path'], the "
                'folder of the sequence frames.')
        self.gaps = tuple(int(g) for g in gaps)
        self.eval_offsets = None if offsets is None else tuple(offsets)
        self.flow_suffix = flow_suffix
        super().__init__(data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """The labelled frames, each with its frames and flows checked.

        Returns:
            list[dict]: mmseg's data infos plus ``sequence`` (folder, file
            file prefix, the labelled frame's ``FrameNumber``) and
            ``flow_dir``.

        Raises:
            ValueError: If a labelled file name is not a frame name or a
                sequence folder has a gap in its frame numbers.
            FileNotFoundError: If a neighbour frame or a flow file that a
                sample may need does not exist.
        """
        data_list = super().load_data_list()
        img_dir = self.data_prefix['img_path']
        listings: Dict[str, List[str]] = {}
        for info in data_list:
            folder = osp.relpath(osp.dirname(info['img_path']), img_dir)
            stem = osp.basename(info['img_path'])[:-len(self.img_suffix)]
            prefix, _, frame = stem.rpartition('_')
            if not prefix or not FrameNumber.parses(frame):
                raise ValueError(
                    f"{info['img_path']}: expected a frame name "
                    f'{{prefix}}_{{frame number}}{self.img_suffix} '
                    f'({self.FRAME_NAME}).')
            seq_dir = osp.normpath(
                osp.join(self.data_prefix['seq_path'], folder))
            if seq_dir not in listings:
                listings[seq_dir] = self._check_folder(seq_dir)
            info['sequence'] = (seq_dir, prefix, FrameNumber(frame))
            if self.data_prefix.get('flow_path'):
                info['flow_dir'] = osp.join(self.data_prefix['flow_path'],
                                            folder)
            self._check_files(info)
        return data_list

    def _check_folder(self, seq_dir: str) -> List[str]:
        """Refuse a sequence folder whose snippets skip a frame number.

        Args:
            seq_dir (str): A folder of sequence frames (a Cityscapes
                city's, CamVid's ``sequences``).

        Returns:
            list[str]: Its file names.

        Raises:
            FileNotFoundError: If the folder does not exist.
            ValueError: If a snippet skips a frame number.
        """
        if not osp.isdir(seq_dir):
            raise FileNotFoundError(
                f'Sequence folder {seq_dir} does not exist (the neighbour '
                "frames of data_prefix['seq_path']).")
        names = sorted(os.listdir(seq_dir))
        frames: Dict[str, List[FrameNumber]] = {}
        for name in names:
            if not name.endswith(self.img_suffix):
                continue
            prefix, _, frame = name[:-len(self.img_suffix)].rpartition('_')
            if FrameNumber.parses(frame):
                frames.setdefault(prefix, []).append(FrameNumber(frame))
        for prefix, found in frames.items():
            numbers = [frame.value for frame in found]
            missing = sorted(
                set(range(min(numbers),
                          max(numbers) + 1)) - set(numbers))
            if missing:
                first = found[0].at(missing[0] - found[0].value)
                path = osp.join(seq_dir,
                                f'{prefix}_{first}{self.img_suffix}')
                raise ValueError(
                    f'Sequence folder {seq_dir} has a gap: snippet {prefix} '
                    f'holds frames {min(numbers)}..{max(numbers)} but not '
                    f'{missing} (first missing file: {path}).')
        return names

    def _frames(self, info: dict, offsets: Sequence[int]) -> List[str]:
        """The frame files at ``offsets`` from a labelled frame."""
        seq_dir, prefix, frame = info['sequence']
        return [
            info['img_path'] if offset == 0 else osp.join(
                seq_dir, f'{prefix}_{frame.at(offset)}{self.img_suffix}')
            for offset in offsets
        ]

    def _flows(self, info: dict, offsets: Sequence[int],
               pairs: Sequence[Tuple[int, int]]) -> List[str]:
        """The flow files of frame-index ``pairs`` (empty without flow)."""
        if 'flow_dir' not in info:
            return []
        _, prefix, frame = info['sequence']
        return [
            osp.join(
                info['flow_dir'], f'{prefix}_{frame.at(offsets[i])}_'
                f'{frame.at(offsets[j])}{self.flow_suffix}')
            for i, j in pairs
        ]

    def _check_files(self, info: dict) -> None:
        """Every frame and flow file that one labelled frame may need."""
        choices = [self.eval_offsets
                   ] if self.eval_offsets else [(-g, 0, g) for g in self.gaps]
        for offsets in choices:
            paths = self._frames(info, offsets)
            paths += self._flows(info, offsets, self._pairs(offsets))
            for path in paths:
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{path} does not exist: it is a neighbour frame (or '
                        f'its flow) at offsets {tuple(offsets)} of the '
                        f"labelled frame {info['img_path']}.")

    def _pairs(self, offsets: Sequence[int]) -> List[Tuple[int, int]]:
        """Frame-index pairs whose flow is needed."""
        if self.eval_offsets:
            return [(i, i + 1) for i in range(len(offsets) - 1)]
        labelled = list(offsets).index(0)
        return [(labelled, j) for j in range(len(offsets)) if j != labelled]

    def get_data_info(self, idx: int) -> dict:
        """The data info of one labelled frame with its frames drawn.

        Args:
            idx (int): The index.

        Returns:
            dict: mmseg's data info plus ``frame_paths``,
            ``frame_offsets``, ``labelled_index``, ``flow_pairs`` and
            ``flow_paths``.
        """
        info = super().get_data_info(idx)
        if self.eval_offsets:
            offsets = self.eval_offsets
        else:
            gap = self.gaps[np.random.randint(len(self.gaps))]
            offsets = (-gap, 0, gap)
        pairs = self._pairs(offsets)
        info.update(
            frame_paths=self._frames(info, offsets),
            frame_offsets=tuple(offsets),
            labelled_index=list(offsets).index(0),
            flow_pairs=tuple(pairs),
            flow_paths=tuple(self._flows(info, offsets, pairs)))
        return info
