# The demo's student: mmseg's PSPNet R-18-D8 with the ResNet widths cut to
# 1/8 (stem 16, base 8 channels) and the heads to match, 0.2M parameters. No
# ImageNet weights: it trains from scratch.
_base_ = ['mmseg::_base_/models/pspnet_r50-d8.py']
model = dict(
    pretrained=None,
    backbone=dict(depth=18, stem_channels=16, base_channels=8),
    decode_head=dict(in_channels=64, channels=16),
    auxiliary_head=dict(in_channels=32, channels=8))
