# Copyright (c) mmskd contributors. All rights reserved.
"""--resume's choice of checkpoint: the latest readable one, and its seed."""
import logging
import os.path as osp
from unittest import mock

import pytest
import torch
from mmengine.config import Config

from mmskd.utils import find_resumable_checkpoint, prepare_resume

RESUME = 'mmskd.utils.resume.'


def write_run(work_dir: str, iters=(1, 2, 3), seed: int = 7) -> list:
    """Checkpoints iter_<n>.pth like CheckpointHook's, last_checkpoint
    naming the newest."""
    paths = []
    for n in iters:
        path = osp.join(work_dir, f'iter_{n}.pth')
        torch.save(
            dict(
                meta=dict(iter=n, seed=seed),
                state_dict=dict(w=torch.full((64, ), float(n)))), path)
        paths.append(path)
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as file:
        file.write(paths[-1])
    return paths


def truncate(path: str) -> None:
    with open(path, 'r+b') as file:
        file.truncate(osp.getsize(path) // 2)


def test_a_readable_latest_checkpoint_is_used_silently(tmp_path):
    paths = write_run(str(tmp_path))
    with mock.patch(RESUME + 'print_log') as print_log:
        path, meta = find_resumable_checkpoint(str(tmp_path))
    assert path == paths[-1] and meta['iter'] == 3
    print_log.assert_not_called()


def test_a_truncated_latest_falls_back_to_the_previous_good_one(tmp_path):
    paths = write_run(str(tmp_path), iters=(1, 2, 3, 10))
    truncate(paths[-1])
    truncate(paths[-2])  # iter_3: damaged as well, so iter_2 is taken
    with mock.patch(RESUME + 'print_log') as print_log:
        path, meta = find_resumable_checkpoint(str(tmp_path))
    assert path == paths[1] and meta['iter'] == 2
    message, = print_log.call_args.args
    assert print_log.call_args.kwargs['level'] == logging.WARNING
    assert f'The latest checkpoint {paths[-1]} cannot be read' in message
    assert f'previous good checkpoint {paths[1]}' in message


def test_no_readable_checkpoint_is_an_error_naming_the_file(tmp_path):
    paths = write_run(str(tmp_path), iters=(1, 2))
    for path in paths:
        truncate(path)
    with pytest.raises(RuntimeError, match='Cannot resume') as error:
        find_resumable_checkpoint(str(tmp_path))
    assert paths[-1] in str(error.value)
    assert 'load_from=PATH' in str(error.value)


def test_without_last_checkpoint_the_run_starts_afresh(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) == (None, None)


def test_prepare_resume_takes_the_checkpoint_and_its_seed(tmp_path):
    paths = write_run(str(tmp_path), seed=1234)
    cfg = Config(dict(work_dir=str(tmp_path), resume=True, load_from=None))
    assert prepare_resume(cfg) == paths[-1]
    assert cfg.load_from == paths[-1]
    assert cfg.randomness == dict(seed=1234)
    # A seed the config sets is the user's choice (mmengine then warns).
    cfg = Config(
        dict(
            work_dir=str(tmp_path),
            resume=True,
            load_from=None,
            randomness=dict(seed=5, deterministic=True)))
    prepare_resume(cfg)
    assert cfg.randomness == dict(seed=5, deterministic=True)
    # An explicit load_from, or no --resume: nothing to choose.
    for resume, load_from in ((True, paths[0]), (False, None)):
        cfg = Config(
            dict(work_dir=str(tmp_path), resume=resume, load_from=load_from))
        assert prepare_resume(cfg) is None and cfg.load_from == load_from
