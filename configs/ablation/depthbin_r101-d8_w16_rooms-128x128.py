# The depth teacher of the ablation table `depth`: ResNet-101-D8 at 1/4 width
# with a PSP depth-bin head, from scratch on every generated room with its
# depth, on the demo teacher's schedule (SGD, lr 0.05, poly, 400 iterations).
_base_ = [
    '../_base_/models/depthbin_r101-d8_w16.py',
    '../_base_/datasets/rooms-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_300.py',
]
model = dict(data_preprocessor=dict(size=_base_.room_crop))
train_cfg = dict(max_iters=400, val_interval=400)
