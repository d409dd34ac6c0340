# Teacher DeepLabV3 R-101-D8 (44.08 mIoU, mmseg model zoo, ADE20K 512x512
# 80k) and a DeepLabV3 R-18-D8 student. mmseg ships no R-18 ADE20K config, so
# the student is the R-50 one with the changes mmseg's own Cityscapes R-18
# configs make (ImageNet R-18 v1c weights, narrower heads).
student = dict(
    cfg_path='mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py',
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
teacher = dict(
    cfg_path='mmseg::deeplabv3/deeplabv3_r101-d8_4xb4-80k_ade20k-512x512.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    pretrained=None)
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x512_80k_ade20k/deeplabv3_r101-d8_512x512_80k_ade20k_20200615_021256-d89c7fa4.pth'  # noqa
# ASPPHead fuses the ASPP branches in `bottleneck`, the input of conv_seg.
feature_source = 'decode_head.bottleneck'
# Score-map channels, e.g. for a critic that reads the logits.
num_classes = 150
