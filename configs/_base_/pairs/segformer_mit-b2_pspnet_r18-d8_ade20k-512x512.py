# Teacher SegFormer MiT-B2 (45.58 mIoU, mmseg model zoo, ADE20K 512x512
# 160k), its maps at 1/4 of the image, and the PSPNet R-18-D8 student of
# pspnet_r101-d8_pspnet_r18-d8_ade20k-512x512.py (no zoo model; maps at 1/8).
_base_ = ['./pspnet_r101-d8_pspnet_r18-d8_ade20k-512x512.py']
teacher = dict(
    cfg_path='mmseg::segformer/segformer_mit-b2_8xb2-160k_ade20k-512x512.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    backbone=dict(init_cfg=None))
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b2_512x512_160k_ade20k/segformer_mit-b2_512x512_160k_ade20k_20210726_112103-cbd414ac.pth'  # noqa
# The fused head features (the input of conv_seg) of each network.
student_feature_source = 'decode_head.bottleneck'
teacher_feature_source = 'decode_head.fusion_conv'
