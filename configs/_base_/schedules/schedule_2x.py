# mmdet's 2x schedule (24 epochs, steps at 16 and 22) with the lr of mmdet's
# one-stage detectors (0.01 on 8x2 images), the recipe of the RetinaNet and
# RepPoints students.
_base_ = ['mmdet::_base_/schedules/schedule_2x.py']
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
