# Teacher SegFormer MiT-B2 (45.58 mIoU, maps at 1/4) and student DeepLabV3+
# MobileNetV2-D8 (34.02 mIoU, 160k; its maps at 1/4 too), both from the mmseg
# model zoo (ADE20K 512x512).
_base_ = ['./segformer_mit-b2_pspnet_r18-d8_ade20k-512x512.py']
student = dict(
    _delete_=True,
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3plus_4xb4-160k_ade20k-512x512.py')
student_feature_source = 'decode_head.sep_bottleneck'
