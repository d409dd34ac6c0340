# The basic auxiliary module with 3x3 conv + BN adaptors (basic-conv3x3 of
# the thesis's Table 6.1; Table 6.2 reports one "Base Aux" row, which
# pspnet_r18-d8_aux-conv1x1 targets).
_base_ = ['./pspnet_r18-d8_aux-conv1x1_4xb4-80k_ade20k-512x512.py']
model = dict(auxiliary_head=dict(adaptor_kernel=3))
