# Thesis Table 6.7 "Auxi-all" (54.9 mIoU, 20.5 %, 26.1 degrees): the three
# tasks with a basic auxiliary module each; removed at test time.
_base_ = ['./mtl_m-v2-d8-u-shape_joint_4xb3-80k_sunrgbd-385x385.py']
model = dict(
    auxiliary_heads=dict(
        seg=_base_.auxiliary_module,
        depth=_base_.auxiliary_module,
        normals=_base_.auxiliary_module))
