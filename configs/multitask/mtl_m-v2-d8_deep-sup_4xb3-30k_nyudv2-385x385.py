# Thesis Fig. 6.4 "DS": Joint with deep supervision, an FCN head per task on
# each of the first three encoder outputs with the task's loss at scale 0.1.
# Training only, as the auxiliary modules.
_base_ = ['./mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py']
model = dict(
    auxiliary_heads=dict(
        seg=_base_.deep_supervision, depth=_base_.deep_supervision))
