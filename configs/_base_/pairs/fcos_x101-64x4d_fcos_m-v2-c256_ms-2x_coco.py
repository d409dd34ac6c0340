# fcos_x101-64x4d_fcos_m-v2-c128_ms-2x_coco.py with 256-channel FPN and
# towers ("C256-MV2", SKD Table 3.14: 33.1 alone).
_base_ = ['./fcos_x101-64x4d_fcos_m-v2-c128_ms-2x_coco.py']
student = dict(
    neck=dict(out_channels=256),
    bbox_head=dict(in_channels=256, feat_channels=256))
