# The student row of the ablation tables on the demo's scenes (`skd`,
# `graphs`, `cwd`, `ka`): the demo's student trained alone on their
# 200-iteration schedule (as schedules/demo_200.py).
_base_ = ['../demo/pspnet_r18-d8_w8_scenes-128x128.py']
train_cfg = dict(max_iters=200, val_interval=200)
