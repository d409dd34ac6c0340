# Pascal VOC 2012 aug (21 classes, 512x512): teacher PSPNet R-101-D8 (78.52
# mIoU, mmseg model zoo, 40k; the thesis's VOC teacher in Table 4.7) and
# student PSPNet R-18-D8 from ImageNet R-18, built from mmseg's VOC R-50-D8
# config as mmseg builds its Cityscapes R-18-D8 from R-50-D8 (the zoo has no
# VOC R-18; Table 4.7's student alone: 65.42).
student = dict(
    cfg_path='mmseg::pspnet/pspnet_r50-d8_4xb4-40k_voc12aug-512x512.py',
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
teacher = dict(
    cfg_path='mmseg::pspnet/pspnet_r101-d8_4xb4-40k_voc12aug-512x512.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    pretrained=None)
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x512_40k_voc12aug/pspnet_r101-d8_512x512_40k_voc12aug_20200613_161222-bc933b18.pth'  # noqa
feature_source = 'decode_head.bottleneck'
num_classes = 21
