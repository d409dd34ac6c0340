# The demo's teacher: mmseg's PSPNet R-101-D8 (the heads of its Cityscapes
# config) with the ResNet widths cut to 1/4 (stem and base 16 channels),
# 4.3M parameters. No ImageNet weights: it trains from scratch.
_base_ = ['mmseg::_base_/models/pspnet_r50-d8.py']
model = dict(
    pretrained=None,
    backbone=dict(depth=101, stem_channels=16, base_channels=16),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
