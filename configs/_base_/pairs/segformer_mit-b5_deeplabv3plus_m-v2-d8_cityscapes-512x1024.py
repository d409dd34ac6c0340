# Teacher SegFormer MiT-B5 (82.25 mIoU, maps at 1/4) and student DeepLabV3+
# MobileNetV2-D8 (75.2 mIoU, its maps at 1/4 too), both from the mmseg model
# zoo (Cityscapes).
_base_ = ['./segformer_mit-b5_pspnet_r18-d8_cityscapes-512x1024.py']
student = dict(
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py')
student_feature_source = 'decode_head.sep_bottleneck'
