# Copyright (c) mmskd contributors. All rights reserved.
"""mmengine's iteration lines, shortened for progress reports."""
from mmengine.logging import MMLogger

from mmskd.demo import progress_reporter, short_progress


def test_progress_lines_are_shortened():
    train = ('11/29 10:00:00 - mmengine - INFO - Iter(train) [ 20/400]  '
             'base_lr: 1.0000e-02 lr: 1.0000e-02  eta: 0:05:10  '
             'time: 0.7071  loss: 1.2345  decode.loss_ce: 1.0000')
    val = ('11/29 10:05:00 - mmengine - INFO - Iter(val) [4/4]    '
           'aAcc: 80.0000  mIoU: 30.1000  mAcc: 40.0000')
    assert short_progress(train) == \
        'Iter(train) [ 20/400]  eta 0:05:10  loss 1.2345'
    assert short_progress(val) == 'Iter(val) [4/4]  mIoU 30.1000'
    assert short_progress('11/29 10:00:00 - mmengine - INFO - Checkpoints '
                          'will be saved to /tmp/x.') is None


def test_other_fields_can_be_kept():
    line = 'Iter(train) [ 20/400]  lr: 1.0000e-02  loss: 1.2345'
    assert short_progress(line, fields=('lr', )) == \
        'Iter(train) [ 20/400]  lr 1.0000e-02'


def test_a_reporter_logs_iteration_lines_only(tmp_path):
    log_file = str(tmp_path / 'progress.log')
    MMLogger.get_instance(
        'progress_test', logger_name='progress_test', log_file=log_file)
    report = progress_reporter('progress_test', '[{tag}] {progress}')
    report('depth seed 0', '12/07 10:00:00 - mmengine - INFO - Iter(val) '
           '[100/100]    d1: 0.8347  abs_rel: 0.1401  rmse: 0.6666')
    report('depth seed 0', 'Checkpoints will be saved to /tmp/x.')
    with open(log_file) as file:
        lines = file.read().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        'INFO - [depth seed 0] Iter(val) [100/100]  abs_rel 0.1401')
