# Copyright (c) mmskd contributors. All rights reserved.
"""``--resume`` that survives a damaged latest checkpoint.

mmengine resumes from the file its ``work_dir/last_checkpoint`` names and
fails deep inside ``torch.load`` when that file is truncated (a node that
lost power after the write, a full quota, a partial copy). Here the
latest checkpoint is opened first; when it cannot be read, the newest
earlier checkpoint of the same run that can be read is used instead, with a
warning naming both files.
"""
import glob
import logging
import os.path as osp
import re
from typing import List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint
from mmengine.utils import digit_version

# CheckpointHook's file names: iter_<n>.pth or epoch_<n>.pth.
_NUMBERED = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def read_checkpoint_meta(path: str) -> dict:
    """Open a checkpoint far enough to know it is whole; return its meta.

    On torch >= 2.1 the tensors are memory-mapped, not read, so this costs
    little even for large checkpoints; the pickled structure is read in
    full, and a truncated zip archive fails on its missing directory.

    Args:
        path (str): The checkpoint file.

    Returns:
        dict: The checkpoint's ``meta`` (empty if it has none).

    Raises:
        Exception: Whatever ``torch.load`` raises for a damaged file.
    """
    kwargs = dict(map_location='cpu', weights_only=False)
    if digit_version(torch.__version__) >= digit_version('2.1.0'):
        kwargs['mmap'] = True
    checkpoint = torch.load(path, **kwargs)
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    return meta if isinstance(meta, dict) else {}


def _earlier_checkpoints(latest: str) -> List[str]:
    """Checkpoints of ``latest``'s kind in its folder, newest first."""
    match = _NUMBERED.match(osp.basename(latest))
    if match is None:
        return []
    kind, number = match.group(1), int(match.group(2))
    found = []
    for path in glob.glob(osp.join(osp.dirname(latest), f'{kind}_*.pth')):
        other = _NUMBERED.match(osp.basename(path))
        if other and int(other.group(2)) < number:
            found.append((int(other.group(2)), path))
    return [path for _, path in sorted(found, reverse=True)]


def find_resumable_checkpoint(
        work_dir: str) -> Tuple[Optional[str], Optional[dict]]:
    """The checkpoint ``--resume`` should continue from, and its meta.

    Args:
        work_dir (str): The run's work directory.

    Returns:
        tuple: ``(path, meta)`` of the checkpoint ``last_checkpoint`` names,
        or of the newest readable earlier one when that one cannot be read
        (with a warning); ``(None, None)`` when ``work_dir`` has no
        ``last_checkpoint`` (the run starts from scratch, as in mmengine).

    Raises:
        RuntimeError: When neither the latest checkpoint nor any earlier
            one can be read; the message names the latest file.
    """
    latest = find_latest_checkpoint(work_dir)
    if latest is None:
        return None, None
    try:
        return latest, read_checkpoint_meta(latest)
    except Exception as error:  # any damage: try the earlier files
        reason = f'{type(error).__name__}: {str(error).splitlines()[0]}' \
            if str(error) else type(error).__name__
    for earlier in _earlier_checkpoints(latest):
        try:
            meta = read_checkpoint_meta(earlier)
        except Exception:  # damaged too: look further back
            continue
        print_log(
            f'The latest checkpoint {latest} cannot be read ({reason}); '
            f'resuming from the previous good checkpoint {earlier} instead. '
            'The iterations after it are trained again.',
            logger='current',
            level=logging.WARNING)
        return earlier, meta
    raise RuntimeError(
        f'Cannot resume: the latest checkpoint {latest} (named in '
        f"{osp.join(work_dir, 'last_checkpoint')}) cannot be read "
        f'({reason}), and no earlier checkpoint of this run in {work_dir} '
        'can. Delete the damaged file and last_checkpoint to start afresh, '
        'or pass a good checkpoint with --cfg-options load_from=PATH.')


def prepare_resume(cfg: Config) -> Optional[str]:
    """Point an auto-resume config at a readable checkpoint and its seed.

    Does nothing unless ``cfg.resume`` is set and ``cfg.load_from`` is not
    (an explicit ``load_from`` is resumed as it is). Otherwise sets
    ``cfg.load_from`` to :func:`find_resumable_checkpoint`'s choice and,
    when the config sets no seed, ``cfg.randomness.seed`` to the
    checkpoint's: the Runner builds the sampler and the dataloader workers
    with the seed before it resumes, so without this a run seeded at
    random would draw other batches after the resume.

    Args:
        cfg (Config): The training config, modified in place.

    Returns:
        str, optional: The checkpoint to resume from, if any.
    """
    if not cfg.get('resume') or cfg.get('load_from') is not None:
        return None
    path, meta = find_resumable_checkpoint(cfg.work_dir)
    if path is None:
        return None
    cfg.load_from = path
    randomness = dict(cfg.get('randomness') or {})
    if randomness.get('seed') is None and meta.get('seed') is not None:
        randomness['seed'] = meta['seed']
        cfg.randomness = randomness
    return path
