# Pascal VOC 2012 aug (21 classes, 512x512): teacher DeepLabV3 R-101-D8
# (77.92 mIoU, mmseg model zoo, 40k) and student DeepLabV3 R-18-D8 from
# ImageNet R-18, built from mmseg's VOC R-50-D8 config as mmseg builds its
# Cityscapes R-18-D8 (the zoo has no VOC R-18; Table 4.7's DeepLab-R18 alone:
# 66.81).
_base_ = ['./pspnet_r101-d8_pspnet_r18-d8_voc12aug-512x512.py']
student = dict(
    cfg_path='mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-40k_voc12aug-512x512.py')
teacher = dict(
    cfg_path='mmseg::deeplabv3/'
    'deeplabv3_r101-d8_4xb4-40k_voc12aug-512x512.py')
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x512_40k_voc12aug/deeplabv3_r101-d8_512x512_40k_voc12aug_20200613_161432-0017d784.pth'  # noqa
