# "Single" at the demo's scale: the rooms' normals alone on the width-0.25
# MobileNetV2, 200 iterations of 8 images (the multi-task table's row).
_base_ = [
    '../_base_/models/mtl_m-v2-d8_w025.py',
    '../_base_/datasets/mt-rooms-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
]
normals = _base_.model.decode_heads.normals
model = dict(decode_heads=dict(_delete_=True, normals=normals))
val_evaluator = [_base_.normals_metric]
test_evaluator = val_evaluator
