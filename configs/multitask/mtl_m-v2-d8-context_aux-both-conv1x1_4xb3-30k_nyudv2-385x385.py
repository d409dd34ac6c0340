# Thesis Table 6.5 "basic-conv1x1" (35.02 mIoU, 16.12 % relative error): the
# context network with a basic auxiliary module per task, 1x1 conv + BN
# adaptors on the shared outputs (the last is the ASPP's); removed at test
# time.
_base_ = ['./mtl_m-v2-d8-context_joint_4xb3-30k_nyudv2-385x385.py']
module = dict(
    _base_.auxiliary_module,
    in_channels=[*_base_.stage_channels[:3], _base_.context_channels])
model = dict(auxiliary_heads=dict(seg=module, depth=module))
