# Teacher DeepLabV3 R-101-D8 (80.20 mIoU) and student DeepLabV3
# MobileNetV2-D8 (73.84 mIoU: mmseg's m-v2-d8, ImageNet MobileNetV2 dilated
# to output stride 8 under R-101's ASPP head), both from the mmseg model zoo
# (Cityscapes 512x1024, 80k): the thesis's DeepLab-MBV2 student (Table 4.6).
_base_ = ['./deeplabv3_r101-d8_deeplabv3_r18-d8_cityscapes-512x1024.py']
student = dict(
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3_4xb2-80k_cityscapes-512x1024.py')
