# The SKD depth schedule ([T] 3.4.2: SGD, lr 0.001, poly 0.9; batch 12 is the
# leaves' 4xb3) over mmseg's 20k-iteration schedule, keeping the checkpoint
# of lowest validation RMSE.
_base_ = 'mmseg::_base_/schedules/schedule_20k.py'
optim_wrapper = dict(optimizer=dict(lr=0.001))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=20000,
        by_epoch=False)
]
default_hooks = dict(checkpoint=dict(save_best='rmse', rule='less'))
