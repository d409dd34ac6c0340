# Teacher RetinaNet R-101 2x (38.9 box AP) and student RetinaNet R-50 2x
# (37.4), both from the mmdet model zoo (COCO val2017, retinanet/metafile.yml).
# The teacher is the 2x R-101 (the 1x one has 38.5), the model mmrazor's
# cwd_fpn_retina config names; its checkpoint below is that model's own.
# mmrazor's config inherits the Faster R-CNN R-101 checkpoint from its
# parent config instead, which (loaded non-strictly) overwrites the RetinaNet
# teacher's backbone and neck.
student = dict(cfg_path='mmdet::retinanet/retinanet_r50_fpn_2x_coco.py')
teacher = dict(
    cfg_path='mmdet::retinanet/retinanet_r101_fpn_2x_coco.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    backbone=dict(init_cfg=None))
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r101_fpn_2x_coco/retinanet_r101_fpn_2x_coco_20200131-5560aee8.pth'  # noqa
# The student's own recipe is configs/_base_/schedules/schedule_2x.py (24
# epochs, lr steps at 16 and 22, SGD 0.01 on 8x2 images), the schedule of
# the 37.4 baseline that the CWD paper (Table 4.5), PKD and CrossKD distil
# into.
