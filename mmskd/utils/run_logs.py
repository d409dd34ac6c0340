# Copyright (c) mmskd contributors. All rights reserved.
"""The scalars an mmengine Runner logged into a work dir (losses, learning
rates, validation metrics), as the tools that report finished runs read
them back."""
import glob
import json
import os.path as osp
from typing import Iterator


def log_records(work_dir: str) -> Iterator[dict]:
    """The logged scalar records of every run in a work dir, oldest first.

    Each ``vis_data`` folder holds the same records twice (``scalars.json``
    of the LocalVisBackend and the LoggerHook's ``<timestamp>.json``); one of
    them is read, ``scalars.json`` where it exists.

    Args:
        work_dir (str): A ``tools/train.py`` or ``tools/test.py`` work dir.

    Yields:
        dict: One logged record (e.g. ``{'mIoU': 30.1, 'step': 400}``).
    """
    pattern = osp.join(work_dir, '**', 'vis_data')
    for vis_dir in sorted(glob.glob(pattern, recursive=True)):
        scalars = osp.join(vis_dir, 'scalars.json')
        files = [scalars] if osp.isfile(scalars) else sorted(
            glob.glob(osp.join(vis_dir, '*.json')))
        for path in files:
            with open(path) as file:
                for line in file:
                    if line.strip():
                        yield json.loads(line)
