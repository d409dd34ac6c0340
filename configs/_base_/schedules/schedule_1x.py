# mmdet's 1x schedule (12 epochs, steps at 8 and 11) with the lr of mmdet's
# one-stage detectors (0.01 on 8x2 images), the recipe of the GFL student.
_base_ = ['mmdet::_base_/schedules/schedule_1x.py']
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
