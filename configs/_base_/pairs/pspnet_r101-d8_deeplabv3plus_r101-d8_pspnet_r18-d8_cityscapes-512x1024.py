# Two teachers, PSPNet R-101-D8 (79.76 mIoU) and DeepLabV3+ R-101-D8 (80.97
# mIoU), and the student PSPNet R-18-D8 (74.87 mIoU), all from the mmseg model
# zoo (Cityscapes 512x1024, 80k). DeepLabV3+'s score map and fused feature are
# at 1/4 of the image, PSPNet's at 1/8.
student = dict(
    cfg_path='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
pspnet_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x1024_80k_cityscapes/pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'  # noqa
deeplabv3plus_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x1024_80k_cityscapes/deeplabv3plus_r101-d8_512x1024_80k_cityscapes_20200606_114143-068fcfe9.pth'  # noqa
# The teachers as one frozen model (each with its weights from its ckpt, not
# ImageNet); a leaf adds what to average.
teacher = dict(
    type='TeacherEnsemble',
    teachers=dict(
        pspnet=dict(
            cfg_path='mmseg::pspnet/'
            'pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
            pretrained=None,
            ckpt=pspnet_ckpt),
        deeplabv3plus=dict(
            cfg_path='mmseg::deeplabv3plus/'
            'deeplabv3plus_r101-d8_4xb2-80k_cityscapes-512x1024.py',
            pretrained=None,
            ckpt=deeplabv3plus_ckpt)))
# The student's fused head feature (input of conv_seg) and each teacher's.
feature_source = 'decode_head.bottleneck'
teacher_feature_sources = dict(
    pspnet='decode_head.bottleneck',
    deeplabv3plus='decode_head.sep_bottleneck')
