# Thesis Table 6.7 "joint" (53.7 mIoU, 22.8 % relative error, 28.7 degrees
# mean normal error): segmentation (13 classes), depth and normals on the
# U-shape MobileNetV2 network, the task losses summed with weight 1, 80k
# iterations.
_base_ = [
    '../_base_/models/mtl_m-v2-d8_u-shape.py',
    '../_base_/datasets/sunrgbd-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_80k.py',
]
model = dict(
    decode_heads=dict(
        seg=dict(head=dict(num_classes=13)),
        normals=dict(_base_.u_shape, head=_base_.normals_head)))
