# Teacher DeepLabV3+ R-101-D8 (80.97 mIoU) and student DeepLabV3+ R-18-D8
# (76.89 mIoU), both from the mmseg model zoo (Cityscapes 512x1024, 80k).
student = dict(
    cfg_path='mmseg::deeplabv3plus/'
    'deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py')
teacher = dict(
    cfg_path='mmseg::deeplabv3plus/'
    'deeplabv3plus_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    pretrained=None)
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x1024_80k_cityscapes/deeplabv3plus_r101-d8_512x1024_80k_cityscapes_20200606_114143-068fcfe9.pth'  # noqa
# DepthwiseSeparableASPPHead also has a `bottleneck` (the 1/8 ASPP fusion),
# but the input of conv_seg is `sep_bottleneck`, which runs after the
# low-level (c1) features are concatenated: 1/4 resolution, channels wide.
feature_source = 'decode_head.sep_bottleneck'
# Score-map channels, e.g. for a critic that reads the logits.
num_classes = 19
