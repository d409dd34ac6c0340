# Depth student: ResNet-18-D8 + PSP depth-bin head (128 channels, as mmseg's
# PSPNet R-18-D8), trained alone on NYU.
_base_ = [
    '../_base_/models/depthbin_r50-d8.py',
    '../_base_/datasets/nyu-480x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/depth_20k.py',
]
model = dict(
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128))
train_dataloader = dict(batch_size=3)
