# Thesis Table 6.7 "joint" (53.7 mIoU, 22.8 % relative error, 28.7 degrees
# mean normal error; the thesis's net is U-shape, this is the baseline
# net): segmentation (13 classes), depth and normals on one MobileNetV2,
# the task losses summed with weight 1, 80k iterations.
_base_ = [
    '../_base_/models/mtl_m-v2-d8.py',
    '../_base_/datasets/sunrgbd-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_80k.py',
]
model = dict(
    decode_heads=dict(seg=dict(num_classes=13), normals=_base_.normals_head))
