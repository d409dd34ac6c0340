# Depth teacher: ResNet-101-D8 + PSP depth-bin head, trained alone on NYU.
_base_ = [
    '../_base_/models/depthbin_r50-d8.py',
    '../_base_/datasets/nyu-480x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/depth_20k.py',
]
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
train_dataloader = dict(batch_size=3)
