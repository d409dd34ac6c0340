# Copyright (c) mmskd contributors. All rights reserved.
"""Flow read from precomputed files, for machines without a flow network."""
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmskd.registry import TASK_UTILS
from .base_flow_source import BaseFlowSource
from .flow_io import read_flows


@TASK_UTILS.register_module()
class PrecomputedFlow(BaseFlowSource):
    """Flow computed offline, one ``.flo`` or ``.npy`` file per pair.

    Each file holds the flow from frame t to frame t+k of one pair at the
    stored frames' resolution, (H, W, 2) with (dx, dy) in pixels (see
    :mod:`mmskd.models.flow.flow_io`). Flow computed offline (e.g. by
    FlowNet2 or RAFT on a GPU machine) thus trains on machines without
    torchvision. In training the data pipeline reads the files and resizes,
    crops and flips the flow with the frames (``LoadSequenceFlow`` and the
    ``Sequence*`` transforms), and the algorithm hands the packed flow in as
    ``given_flow``; files are read here only when paths are given instead
    (the temporal-consistency metric, direct calls), and must then match the
    frames as they are.

    Args:
        root (str, optional): Folder that relative paths given to
            :meth:`load` or :meth:`compute` are taken from (as the
            temporal-consistency metric's ``flow_root`` does). Training does
            not use it: the dataset's ``data_prefix['flow_path']`` gives the
            pipeline full paths. Defaults to None (paths as given).
    """

    flow_from_data = True

    def __init__(self, root: Optional[str] = None) -> None:
        self.root = root

    def resolve(self, path: str) -> str:
        """The file a (possibly relative) flow path names.

        Args:
            path (str): The path as given by the data sample.

        Returns:
            str: ``path`` joined to ``root`` if it is relative and a root
            is set, else ``path``.
        """
        if self.root is None or osp.isabs(path):
            return path
        return osp.join(self.root, path)

    def load(self, flow_paths: Sequence[str], size: Tuple[int, int]) -> Tensor:
        """Read flow files that must all be of one frame size.

        Args:
            flow_paths (Sequence[str]): The files, relative to ``root``.
            size (Tuple[int, int]): The (H, W) of the frames they belong to.

        Returns:
            Tensor: The flows of shape (len(flow_paths), 2, H, W), float32,
            on the CPU.

        Raises:
            ValueError: If there is no file or a file's flow is not H x W.
                Bad files raise the errors of :func:`read_flow`. The
                message names the file.
        """
        flows = read_flows([self.resolve(path) for path in flow_paths], size)
        return torch.from_numpy(flows).permute(0, 3, 1, 2)

    def compute(self,
                img_t: Tensor,
                img_tk: Tensor,
                flow_paths: Optional[Sequence[str]],
                frame_gaps: Optional[Sequence[int]] = None,
                given_flow: Optional[Tensor] = None) -> Tensor:
        """The flow of each pair of the batch: given, or read from files.

        Args:
            img_t (Tensor): Frames t, shape (N, 3, H, W); only the shape is
                used, to check the files.
            img_tk (Tensor): Frames t+k (unused).
            flow_paths (Sequence[str], optional): N flow files, one per
                pair; read only without ``given_flow``.
            frame_gaps (Sequence[int], optional): Unused.
            given_flow (Tensor, optional): The data samples' (augmented)
                flow, (N, 2, H, W). Defaults to None.

        Returns:
            Tensor: The flow of shape (N, 2, H, W).

        Raises:
            ValueError: If neither ``given_flow`` nor N ``flow_paths`` are
                given; see :meth:`load` for the checks of each file.
        """
        if given_flow is not None:
            return given_flow
        num = img_t.shape[0]
        if flow_paths is None or len(flow_paths) != num:
            got = 'none' if flow_paths is None else len(flow_paths)
            raise ValueError(
                f'PrecomputedFlow takes the flow of the data samples '
                f'(gt_flow) or reads one flow file per frame pair, so it '
                f'needs {num} flow_paths for this batch, but got {got}.')
        return self.load(flow_paths, img_t.shape[-2:]).to(img_t.device)
