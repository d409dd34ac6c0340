# Thesis Table 6.3 "Joint" on the context network (33.06 mIoU, 17.64 %
# relative error): segmentation (40 classes) and depth on MobileNetV2 with a
# shared ASPP, the task losses summed with weight 1.
_base_ = [
    '../_base_/models/mtl_m-v2-d8_context.py',
    '../_base_/datasets/nyudv2-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_30k.py',
]
model = dict(decode_heads=dict(seg=dict(num_classes=40)))
