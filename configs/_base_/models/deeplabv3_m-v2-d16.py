# The student of knowledge adaptation (He et al., CVPR 2019): MobileNetV2
# (width 1.0, ImageNet weights) at output stride 16 with the reduced
# DeepLabV3 head of the MobileNetV2 paper, which the KA student is "exactly
# the same with": image pooling and one 1x1 branch (no atrous rates), 256
# channels, no auxiliary head. Built from mmseg's MobileNetV2-D8 DeepLabV3:
# stage 4 strides instead of dilating, the last two stages dilate by 2.
# Pairs set the class count and the crop size.
student = dict(
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3_4xb2-80k_cityscapes-512x1024.py',
    backbone=dict(
        strides=(1, 2, 2, 2, 1, 1, 1), dilations=(1, 1, 1, 1, 1, 2, 2)),
    decode_head=dict(dilations=(1, ), channels=256),
    auxiliary_head=None)
# The student's last feature (the head's 3x3 fusion, stride 16).
student_feature = 'decode_head.bottleneck'
student_feature_channels = 256
