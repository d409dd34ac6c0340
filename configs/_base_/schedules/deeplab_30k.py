# The DeepLab recipe that knowledge adaptation (He et al., CVPR 2019, Sec.
# 4.2) trains teacher and student with: SGD with lr 0.007 (for 16 images a
# step), momentum 0.9 and weight decay 4e-5 (a blank of the paper, from its
# reading note), poly decay with power 0.9 to 0; 30k iterations, the paper's
# Pascal VOC trainaug schedule without COCO pre-training.
# The PolyLR has no `end`, so it lasts train_cfg.max_iters.
_base_ = ['mmseg::_base_/schedules/schedule_20k.py']
optim_wrapper = dict(optimizer=dict(lr=0.007, weight_decay=4e-5))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)
]
train_cfg = dict(max_iters=30000, val_interval=3000)
default_hooks = dict(checkpoint=dict(interval=3000))
