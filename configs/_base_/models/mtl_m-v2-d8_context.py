# The thesis's multi-task "context" network (Table 6.3, 3.98M parameters):
# the baseline with an ASPP added to the shared part (mmskd.ASPPNeck on the
# last encoder output: image pooling and dilations 1, 12, 24, 36, as
# mmseg's DeepLabV3 at output stride 8). 112 channels (the thesis gives no
# width) make it 3.98M parameters with segmentation and depth, the
# thesis's figure.
_base_ = ['./mtl_m-v2-d8.py']
context_channels = 112
model = dict(
    neck=dict(
        type='ASPPNeck',
        _scope_='mmskd',
        in_channels=320,
        channels=context_channels,
        dilations=(1, 12, 24, 36),
        norm_cfg=_base_.norm_cfg),
    decode_heads=dict(
        seg=dict(in_channels=context_channels),
        depth=dict(in_channels=context_channels)))
