# Thesis Table 6.7 "Auxi-depth" (54.0 mIoU, 20.8 %, 27.0 degrees): the
# three tasks with a basic auxiliary module for depth only.
_base_ = ['./mtl_m-v2-d8-u-shape_joint_4xb3-80k_sunrgbd-385x385.py']
model = dict(auxiliary_heads=dict(depth=_base_.auxiliary_module))
