# Thesis Table 6.7 "Auxi-seg" (55.3 mIoU, 21.7 %, 28.3 degrees): the
# three tasks with a basic auxiliary module for seg only.
_base_ = ['./mtl_m-v2-d8-u-shape_joint_4xb3-80k_sunrgbd-385x385.py']
model = dict(auxiliary_heads=dict(seg=_base_.auxiliary_module))
