# Thesis Fig. 6.4 / Table 6.3 "Joint" (baseline net: 33.1 mIoU, 19.4 % rel.
# error): segmentation (40 classes) and depth on one MobileNetV2, the task
# losses summed with weight 1, 30k iterations, 12 images a step.
_base_ = [
    '../_base_/models/mtl_m-v2-d8.py',
    '../_base_/datasets/nyudv2-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_30k.py',
]
model = dict(decode_heads=dict(seg=dict(num_classes=40)))
