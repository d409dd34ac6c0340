# Teacher PSPNet R-101-D8 (79.76 mIoU) and student PSPNet MobileNetV2-D8
# (70.23 mIoU: mmseg's m-v2-d8, ImageNet MobileNetV2 dilated to output
# stride 8 under R-101's PSP head), both from the mmseg model zoo (Cityscapes
# 512x1024, 80k): the thesis's PSPNet-MBV2 student (Table 4.6).
_base_ = ['./pspnet_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py']
student = dict(
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_pspnet_4xb2-80k_cityscapes-512x1024.py')
