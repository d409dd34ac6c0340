# Teacher GFL R-101 multi-scale 2x (44.7 box AP) and student GFL R-50 1x
# (40.2), both from the mmdet model zoo (COCO val2017, gfl/metafile.yml): the
# pair of mmrazor's CWD result (41.9), and of FGD and CrossKD.
student = dict(cfg_path='mmdet::gfl/gfl_r50_fpn_1x_coco.py')
teacher = dict(
    cfg_path='mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    backbone=dict(init_cfg=None))
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/gfl/gfl_r101_fpn_mstrain_2x_coco/gfl_r101_fpn_mstrain_2x_coco_20200629_200126-dd12f847.pth'  # noqa
# The student's own recipe is configs/_base_/schedules/schedule_1x.py (12
# epochs, lr steps at 8 and 11, SGD 0.01 on 8x2 images), single-scale.
