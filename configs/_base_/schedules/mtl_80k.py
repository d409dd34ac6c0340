# The thesis's SUNRGBD schedule (App. A.2.2): the multi-task schedule
# (mtl_30k.py: SGD lr 0.01, weight decay 1e-4, poly 0.9) for 80k iterations.
_base_ = ['./mtl_30k.py']
train_cfg = dict(max_iters=80000, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
