# Thesis Table 6.7 "Auxi-normal" (54.4 mIoU, 20.3 %, 25.7 degrees): the
# three tasks with a basic auxiliary module for normals only.
_base_ = ['./mtl_m-v2-d8-u-shape_joint_4xb3-80k_sunrgbd-385x385.py']
model = dict(auxiliary_heads=dict(normals=_base_.auxiliary_module))
