# The recipe of mmdet's multi-scale 2x FCOS configs (the FCOS students'):
# 24 epochs with a constant 1/3 warm-up and lr steps at 16 and 22, SGD 0.01
# with doubled bias lr, no bias decay and gradient clipping at 35.
_base_ = ['./schedule_2x.py']
param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=24,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
optim_wrapper = dict(
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
