# The depth teacher of the ablation table `depth`: depthbin_r50-d8.py with
# the demo teacher's ResNet-101 at 1/4 width (pspnet_r101-d8_w16.py), from
# scratch.
_base_ = ['./depthbin_r50-d8.py']
model = dict(
    pretrained=None,
    backbone=dict(depth=101, stem_channels=16, base_channels=16),
    decode_head=dict(in_channels=512, channels=128))
