# Thesis Table 6.3 "Segmentation-only" on the U-shape network (38.05 mIoU):
# its segmentation decoder and head alone.
_base_ = ['./mtl_m-v2-d8-u-shape_joint_4xb3-30k_nyudv2-385x385.py']
model = dict(
    decode_heads=dict(_delete_=True, seg=_base_.model.decode_heads.seg))
val_evaluator = [_base_.seg_metric]
test_evaluator = val_evaluator
