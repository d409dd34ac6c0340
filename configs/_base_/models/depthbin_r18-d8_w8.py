# The depth student of the ablation table `depth`: depthbin_r50-d8.py with
# the demo student's ResNet-18 at 1/8 width (pspnet_r18-d8_w8.py), from
# scratch.
_base_ = ['./depthbin_r50-d8.py']
model = dict(
    pretrained=None,
    backbone=dict(depth=18, stem_channels=16, base_channels=8),
    decode_head=dict(in_channels=64, channels=16))
