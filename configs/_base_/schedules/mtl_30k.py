# The thesis's multi-task schedule (App. A.2.2, Single and Joint): 30k
# iterations, SGD at lr 0.01 (momentum 0.9, assumed: the thesis names no
# optimiser), weight decay 1e-4, poly decay (1 - iter / max_iter)^0.9 to 0.
# The PolyLR has no `end`, so it lasts train_cfg.max_iters.
_base_ = ['mmseg::_base_/schedules/schedule_20k.py']
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)
]
train_cfg = dict(max_iters=30000, val_interval=3000)
default_hooks = dict(checkpoint=dict(interval=3000))
