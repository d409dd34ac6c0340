# Thesis Table 6.2 "ResNet-18 + Base Aux" (35.78 mIoU): the basic auxiliary
# module, 1x1 conv + BN adaptors (basic-conv1x1). Training only:
# `convert_to_student.py --drop-auxiliary-heads` exports the plain PSPNet.
_base_ = [
    './pspnet_r18-d8_4xb4-80k_ade20k-512x512.py',
    '../_base_/auxiliary/basic_module_r18.py',
]
# The baseline has no auxiliary head (None), which a dict cannot merge into.
model = dict(
    auxiliary_head=dict(
        _base_.auxiliary_module, num_classes=150, _delete_=True))
