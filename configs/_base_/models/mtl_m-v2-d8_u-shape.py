# The thesis's multi-task "U-shape" network (Table 6.3, 4.19M parameters;
# Table 6.7's): the baseline's encoder with a U-net decoder per task
# (mmskd.UShapeHead: from the 1/8 outputs up to the 1/4 one, each skip
# concatenated and fused by a 3x3 conv), then the task's two-layer head at
# 1/4. 144 decoder channels (the thesis gives no width): 4.13M parameters
# with segmentation and depth.
_base_ = ['./mtl_m-v2-d8.py']
u_shape = dict(
    type='UShapeHead',
    _scope_='mmskd',
    in_channels=_base_.stage_channels,
    in_index=(0, 1, 2, 3),
    channels=144,
    norm_cfg=_base_.norm_cfg)
model = dict(
    decode_heads=dict(
        seg=dict(u_shape, head=_base_.seg_head, _delete_=True),
        depth=dict(u_shape, head=_base_.depth_head, _delete_=True)))
