# deeplab_30k.py for 90k iterations, the paper's Cityscapes train-fine
# schedule.
_base_ = ['./deeplab_30k.py']
train_cfg = dict(max_iters=90000, val_interval=9000)
default_hooks = dict(checkpoint=dict(interval=9000))
