# Teacher FCOS R-101 caffe, GN head, multi-scale 2x (40.8 box AP) and student
# FCOS R-50 caffe, GN head, multi-scale 2x (38.5), both from the mmdet model
# zoo (COCO val2017, fcos/metafile.yml): the pair CrossKD reports (41.1, 41.3
# with PKD). Both are caffe-style (BGR, mean only, std 1): the teacher sees
# the student's preprocessed batch, so the two must normalise alike.
student = dict(
    cfg_path='mmdet::fcos/fcos_r50-caffe_fpn_gn-head_ms-640-800-2x_coco.py')
teacher = dict(
    cfg_path='mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    backbone=dict(init_cfg=None))
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/fcos/fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco/fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco-511424d6.pth'  # noqa
num_classes = 80
# The student's own recipe, multi-scale 2x, is
# configs/_base_/datasets/coco-detection-ms-640-800.py with
# configs/_base_/schedules/fcos_2x.py.
