# PSPNet R-18-D8 without an auxiliary head: mmseg's PSPNet R-50-D8 with the
# changes mmseg's own Cityscapes R-18 configs make (ImageNet R-18 v1c
# weights, a 128-channel PSP head). mmseg's FCN auxiliary head on stage 3 is
# removed: the baseline "ResNet-18" of the thesis's Table 6.2 has none, and
# each config of configs/auxiliary adds the constraint it compares.
_base_ = ['mmseg::_base_/models/pspnet_r50-d8.py']
model = dict(
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=None)
# The widths of the four ResNet-18 stages (the backbone's outputs O_1..O_4).
stage_channels = [64, 128, 256, 512]
