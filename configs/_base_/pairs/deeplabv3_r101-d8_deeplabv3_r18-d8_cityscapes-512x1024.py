# Teacher DeepLabV3 R-101-D8 (80.20 mIoU) and student DeepLabV3 R-18-D8
# (76.70 mIoU), both from the mmseg model zoo (Cityscapes 512x1024, 80k).
student = dict(
    cfg_path='mmseg::deeplabv3/'
    'deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py')
teacher = dict(
    cfg_path='mmseg::deeplabv3/'
    'deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    pretrained=None)
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa
# ASPPHead fuses the ASPP branches in `bottleneck`, the input of conv_seg
# (1/8 resolution, decode_head.channels wide).
feature_source = 'decode_head.bottleneck'
# Score-map channels, e.g. for a critic that reads the logits.
num_classes = 19
