# Depth student: MobileNetV2-D8 (mmseg's dilated MobileNetV2) + PSP depth-bin
# head of 128 channels, trained alone on NYU.
_base_ = [
    '../_base_/models/depthbin_r50-d8.py',
    '../_base_/datasets/nyu-480x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/depth_20k.py',
]
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    decode_head=dict(in_channels=320, channels=128))
train_dataloader = dict(batch_size=3)
