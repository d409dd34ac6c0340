# Teacher SegFormer MiT-B5 (82.25 mIoU, mmseg model zoo, Cityscapes 1024x1024
# 160k), a transformer whose score map and fused feature are at 1/4 of the
# image, and student PSPNet R-18-D8 (74.87 mIoU, its maps at 1/8).
_base_ = ['./pspnet_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py']
teacher = dict(
    cfg_path='mmseg::segformer/'
    'segformer_mit-b5_8xb1-160k_cityscapes-1024x1024.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    backbone=dict(init_cfg=None))
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b5_8x1_1024x1024_160k_cityscapes/segformer_mit-b5_8x1_1024x1024_160k_cityscapes_20211206_072934-87a052ec.pth'  # noqa
# The fused head features (the input of conv_seg) of each network.
student_feature_source = 'decode_head.bottleneck'
teacher_feature_source = 'decode_head.fusion_conv'
