# Thesis Fig. 6.4 / Table 6.3 "Segmentation-only" (baseline net: 34.6 mIoU):
# the multi-task network with the segmentation head alone (40 classes).
_base_ = [
    '../_base_/models/mtl_m-v2-d8.py',
    '../_base_/datasets/nyudv2-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_30k.py',
]
model = dict(
    decode_heads=dict(
        _delete_=True, seg=dict(_base_.seg_head, num_classes=40)))
val_evaluator = [_base_.seg_metric]
test_evaluator = val_evaluator
