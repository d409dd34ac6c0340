# Thesis Table 6.2 "ResNet-18 + Base Aux" (35.78 mIoU): the baseline with the
# basic auxiliary module, 1x1 conv + BN adaptors (basic-conv1x1). Training
# only: `convert_to_student.py --drop-auxiliary-heads` exports the PSPNet.
_base_ = [
    '../_base_/models/pspnet_r18-d8.py',
    '../_base_/auxiliary/basic_module_r18.py',
    '../_base_/datasets/ade20k-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
]
crop_size = (512, 512)
# The model base has no auxiliary head (None), which a dict cannot merge into.
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(
        _base_.auxiliary_module, num_classes=150, _delete_=True))
