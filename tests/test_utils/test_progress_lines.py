# Copyright (c) mmskd contributors. All rights reserved.
"""mmengine's iteration lines, shortened for progress reports."""
from mmskd.demo import short_progress


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
