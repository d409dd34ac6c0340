# Copyright (c) mmskd contributors. All rights reserved.
"""Load a frozen teacher's weights with errors that say what to do."""
import os.path as osp

from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch import nn


def _is_remote(path: str) -> bool:
    return '://' in path


def _read_checkpoint(path: str) -> dict:
    if not _is_remote(path) and not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'Teacher checkpoint {path!r} does not exist. Download the '
            'teacher\'s model-zoo weights (a config whose `teacher_ckpt` is '
            'a URL fetches them itself), train the teacher first where the '
            'model zoo has none (the configs/depth distill configs name the '
            'command in their header), or pass a local file with '
            '`--cfg-options model.teacher_ckpt=/path/to/teacher.pth`.')
    try:
        return _load_checkpoint(osp.expanduser(path), map_location='cpu')
    except Exception as error:
        if not _is_remote(path):
            raise
        basename = osp.basename(path)
        raise RuntimeError(
            f'Could not fetch the teacher checkpoint {path} ({error}). On a '
            f'machine without network, put the file at '
            f'$TORCH_HOME/hub/checkpoints/{basename} (mmengine looks there '
            'first) or pass a local path with '
            '`--cfg-options model.teacher_ckpt=/path/to/teacher.pth`.'
        ) from error


def load_teacher_checkpoint(teacher: nn.Module, path: str) -> None:
    """Load ``path`` into ``teacher`` and refuse a checkpoint that misses it.

    A checkpoint of another architecture loads "successfully" with
    ``strict=False`` and leaves a random teacher, which then silently harms
    the student (a common mmrazor complaint). We fail instead when fewer than
    half of the teacher's tensors are found.

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Local path or URL of the checkpoint.
    """
    checkpoint = _read_checkpoint(path)
    state_dict = checkpoint.get('state_dict', checkpoint)
    expected = teacher.state_dict()
    matched = [
        key for key, value in state_dict.items()
        if key in expected and expected[key].shape == value.shape
    ]
    if len(matched) * 2 < len(expected):
        raise ValueError(
            f'Teacher checkpoint {path!r} does not fit the teacher model: '
            'only '
            f'{len(matched)} of its {len(expected)} tensors match by name and '
            'shape. Check that `teacher` and `teacher_ckpt` name the same '
            'model-zoo config.')
    load_state_dict(teacher, state_dict, strict=False, logger='current')
