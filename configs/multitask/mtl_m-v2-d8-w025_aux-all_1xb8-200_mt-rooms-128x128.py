# "Joint + auxiliary modules" at the demo's scale: the three tasks of the
# rooms with a basic auxiliary module each (16-channel 1x1 adaptors on the
# width-0.25 encoder's outputs), removed at test time.
_base_ = ['./mtl_m-v2-d8-w025_joint_1xb8-200_mt-rooms-128x128.py']
module = dict(
    _base_.auxiliary_module, in_channels=_base_.stage_channels, channels=16)
model = dict(auxiliary_heads=dict(seg=module, depth=module, normals=module))
