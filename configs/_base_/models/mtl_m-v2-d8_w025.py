# The multi-task baseline at the demo's scale: MobileNetV2 at width 0.25
# (8-80 channels), from scratch, 32-channel heads, 32 depth bins over the
# rooms' 0.3-10 m, the three tasks (leaves pick theirs).
_base_ = ['./mtl_m-v2-d8.py']
stage_channels = (8, 8, 24, 80)
head = dict(in_channels=80, channels=32)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(widen_factor=0.25),
    decode_heads=dict(
        seg=dict(_base_.seg_head, **head, num_classes=4),
        depth=dict(_base_.depth_head, **head, num_bins=32, min_depth=0.3),
        normals=dict(_base_.normals_head, **head)))
