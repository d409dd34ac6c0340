# Copyright (c) mmskd contributors. All rights reserved.
"""A rank's error is the last thing tools/dist_train.sh and dist_test.sh
print, below torch's ChildFailedError report and every rank's log."""
import os.path as osp

from mmskd.testing import REPO, run_tool

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def run_script(script: str, args: list, work_dir: str):
    """``bash tools/SCRIPT ARGS`` on two processes, allowed to fail."""
    return run_tool(['bash', f'tools/{script}', *args, '--work-dir', work_dir],
                    timeout=300,
                    check=False)


def assert_error_last(result, tool: str, error: str) -> None:
    """``error`` ends the output, after torch's report, which names it
    too."""
    assert result.returncode == 1
    last_line = result.stderr.rstrip().splitlines()[-1]
    assert last_line.startswith(f'tools/{tool} failed: '), \
        result.stderr[-3000:]
    assert error in last_line
    report = result.stderr[result.stderr.rindex('Root Cause'):]
    assert 'exitcode  : 1' in report and error in report


def test_dist_train_prints_the_error_last(tmp_path):
    result = run_script(
        'dist_train.sh',
        [SKD, '2', '--cfg-options', 'model.type=NoSuchAlgorithm'],
        str(tmp_path))
    assert_error_last(
        result, 'train.py',
        "KeyError: 'NoSuchAlgorithm is not in the mmskd::model registry.")


def test_dist_test_prints_the_error_last(tmp_path):
    checkpoint = str(tmp_path / 'missing.pth')
    result = run_script('dist_test.sh', [SKD, checkpoint, '2'], str(tmp_path))
    assert_error_last(result, 'test.py', checkpoint)
