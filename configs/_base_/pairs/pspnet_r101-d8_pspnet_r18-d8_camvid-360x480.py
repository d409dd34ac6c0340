# CamVid (11 classes): teacher PSPNet R-101-D8 trained on CamVid by
# configs/camvid/pspnet_r101-d8_4xb2-40k_camvid-360x480.py (mmseg's zoo has
# no CamVid model; train that config first, its last checkpoint is
# teacher_ckpt below), student PSPNet R-18-D8 from ImageNet R-18 (Table 3.9's
# "ResNet18, ImN"), both at 360x480.
num_classes = 11
student = dict(
    cfg_path='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    data_preprocessor=dict(size=(360, 480)),
    decode_head=dict(num_classes=num_classes),
    auxiliary_head=dict(num_classes=num_classes))
teacher = dict(
    cfg_path='{{ fileDirname }}/../../camvid/'
    'pspnet_r101-d8_4xb2-40k_camvid-360x480.py',
    # The teacher's weights come from teacher_ckpt.
    pretrained=None)
teacher_ckpt = 'work_dirs/pspnet_r101-d8_4xb2-40k_camvid-360x480/iter_40000.pth'  # noqa
feature_source = 'decode_head.bottleneck'
