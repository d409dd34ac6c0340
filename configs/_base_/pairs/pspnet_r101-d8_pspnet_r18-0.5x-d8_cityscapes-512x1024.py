# Teacher PSPNet R-101-D8 (79.76 mIoU, mmseg model zoo) and student PSPNet
# on ResNet18 (0.5), the papers' from-scratch student (SKD Tables 3.7/3.8,
# CWD Table 4.6: 55.40 val alone): mmseg's ResNetV1c-18-D8 with every stage
# half as wide (stem 32, stages 32-256 channels) under a PSP head of 128
# channels, 3.82M parameters without the auxiliary head (the papers' 3.835M).
# It is TRAINED FROM SCRATCH (random init, no ImageNet weights), as in the
# papers; no model-zoo checkpoint exists.
_base_ = ['./pspnet_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py']
student = dict(
    pretrained=None,
    backbone=dict(stem_channels=32, base_channels=32),
    decode_head=dict(in_channels=256, channels=128),
    auxiliary_head=dict(in_channels=128, channels=64))
