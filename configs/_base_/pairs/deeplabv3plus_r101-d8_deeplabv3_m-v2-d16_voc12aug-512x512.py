# Teacher DeepLabV3+ R-101-D8 (mmseg model zoo, VOC 2012 aug 512x512 40k,
# 78.62 mIoU) and the knowledge-adaptation student MobileNetV2-D16.
_base_ = ['../models/deeplabv3_m-v2-d16.py']
student = dict(
    decode_head=dict(num_classes=21), data_preprocessor=dict(size=(512, 512)))
teacher = dict(
    cfg_path='mmseg::deeplabv3plus/'
    'deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py',
    pretrained=None)  # the weights come from teacher_ckpt
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x512_40k_voc12aug/deeplabv3plus_r101-d8_512x512_40k_voc12aug_20200613_205333-faf03387.pth'  # noqa
# The teacher's last stride-8 feature, which the translator's stride-2
# encoder takes to the student's stride 16: the ASPP fusion `bottleneck`
# (512 channels). DeepLabV3+'s decoder (`sep_bottleneck`) runs at stride 4.
teacher_feature = 'decode_head.bottleneck'
teacher_feature_channels = 512
