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
# The student's own recipe: multi-scale training (short side 640 or 800),
# 24 epochs with a constant 1/3 warm-up and lr steps at 16 and 22, SGD 0.01
# with doubled bias lr, no bias decay and gradient clipping at 35.
student_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
student_max_epochs = 24
student_param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=24,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
student_optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
