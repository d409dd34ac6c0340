# Thesis Table 6.2 "ResNet-18" (32.17 mIoU): PSPNet R-18-D8 on ADE20K with
# no auxiliary head or loss, the baseline every row of configs/auxiliary
# adds one training-time constraint to.
_base_ = [
    '../_base_/models/pspnet_r18-d8.py',
    '../_base_/datasets/ade20k-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=150))
