# Teacher RepPoints (moment) X-101-32x4d with DCN in stages 3-5, GN neck and
# head, 2x (44.2 box AP) and student RepPoints (moment) R-50, GN neck and head,
# 2x (38.6), both from the mmdet model zoo (COCO val2017,
# reppoints/metafile.yml): the pair of mmrazor's PKD (42.3) and of MGD and
# MasKD; 38.6 is also the RepPoints baseline of the CWD paper (Table 4.5).
student = dict(
    cfg_path='mmdet::reppoints/reppoints-moment_r50_fpn-gn_head-gn_2x_coco.py')
teacher = dict(
    cfg_path='mmdet::reppoints/'
    'reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_2x_coco.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    backbone=dict(init_cfg=None))
# Saved under this basename ('%2B' included) in $TORCH_HOME/hub/checkpoints.
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/reppoints/reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck%2Bhead_2x_coco/reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck%2Bhead_2x_coco_20200329-f87da1ea.pth'  # noqa
# The student's own recipe is configs/_base_/schedules/schedule_2x.py (24
# epochs, lr steps at 16 and 22, SGD 0.01 on 8x2 images).
