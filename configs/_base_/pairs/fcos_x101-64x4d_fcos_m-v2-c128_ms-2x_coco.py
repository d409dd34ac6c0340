# Teacher FCOS X-101-64x4d, GN head, multi-scale 2x (42.6 box AP, mmdet model
# zoo; the papers' teacher is FCOS X-101-32x8d, 42.5 minival, which mmdet
# lacks) and student FCOS MobileNetV2-FPN with 128-channel FPN and towers
# ("C128-MV2", SKD Table 3.14: 30.9 alone): ImageNet MobileNetV2 (mmdet's
# weights) with SyncBN as FCOS's release, strides 8/16/32 (layers 3, 5, 7)
# into a 5-level FPN. The student is built on the teacher's config, so both
# normalise the batch alike (RGB mean/std, as MobileNetV2's ImageNet weights
# expect; mmdet's FCOS R-101s are caffe-style) and it trains on that config's
# recipe, multi-scale 2x, the same as the R-50 student's of the base. No
# model-zoo checkpoint of the student exists.
_base_ = ['./fcos_r101-caffe_fcos_r50-caffe_ms-2x_coco.py']
student = dict(
    _delete_=True,
    cfg_path='mmdet::fcos/fcos_x101-64x4d_fpn_gn-head_ms-640-800-2x_coco.py',
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://mmdet/mobilenet_v2')),
    neck=dict(in_channels=[32, 96, 320], out_channels=128, start_level=0),
    bbox_head=dict(in_channels=128, feat_channels=128))
teacher = dict(
    cfg_path='mmdet::fcos/fcos_x101-64x4d_fpn_gn-head_ms-640-800-2x_coco.py')
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/fcos/fcos_x101_64x4d_fpn_gn-head_mstrain_640-800_2x_coco/fcos_x101_64x4d_fpn_gn-head_mstrain_640-800_2x_coco-ede514a8.pth'  # noqa
