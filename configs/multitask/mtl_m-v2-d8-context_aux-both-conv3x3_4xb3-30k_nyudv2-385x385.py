# Thesis Table 6.5 "basic-conv3x3" (35.71 mIoU, 15.94 % relative error): as
# basic-conv1x1 with 3x3 conv + BN adaptors.
_base_ = ['./mtl_m-v2-d8-context_aux-both-conv1x1_4xb3-30k_nyudv2-385x385.py']
module = dict(_base_.module, adaptor_kernel=3)
model = dict(auxiliary_heads=dict(seg=module, depth=module))
