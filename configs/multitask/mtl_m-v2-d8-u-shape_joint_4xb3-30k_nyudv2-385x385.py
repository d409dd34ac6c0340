# Thesis Table 6.3 "Joint" on the U-shape network (37.38 mIoU, 15.12 %
# relative error): segmentation (40 classes) and depth on MobileNetV2 with a
# U-net decoder per task, the task losses summed with weight 1.
_base_ = [
    '../_base_/models/mtl_m-v2-d8_u-shape.py',
    '../_base_/datasets/nyudv2-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_30k.py',
]
model = dict(decode_heads=dict(seg=dict(head=dict(num_classes=40))))
