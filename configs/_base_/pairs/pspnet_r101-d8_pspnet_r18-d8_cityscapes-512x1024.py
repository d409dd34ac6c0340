# Teacher PSPNet R-101-D8 (79.76 mIoU) and student PSPNet R-18-D8 (74.87 mIoU),
# both from the mmseg model zoo (Cityscapes 512x1024, 80k).
student = dict(
    cfg_path='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
teacher = dict(
    cfg_path='mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    pretrained=None)
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x1024_80k_cityscapes/pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'  # noqa
# The fused head feature (input of conv_seg).
feature_source = 'decode_head.bottleneck'
# Score-map channels, e.g. for a critic that reads the logits.
num_classes = 19
