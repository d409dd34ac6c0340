# Teacher DeepLabV3+ R-101-D8 (mmseg model zoo, Cityscapes 512x1024 80k,
# 80.97 mIoU) and the knowledge-adaptation student MobileNetV2-D16.
_base_ = ['../models/deeplabv3_m-v2-d16.py']
student = dict(decode_head=dict(num_classes=19))
teacher = dict(
    cfg_path='mmseg::deeplabv3plus/'
    'deeplabv3plus_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    pretrained=None)  # the weights come from teacher_ckpt
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x1024_80k_cityscapes/deeplabv3plus_r101-d8_512x1024_80k_cityscapes_20200606_114143-068fcfe9.pth'  # noqa
# The teacher's last stride-8 feature (see the VOC pair): the ASPP fusion.
teacher_feature = 'decode_head.bottleneck'
teacher_feature_channels = 512
