# The thesis's multi-task baseline (App. A.2.2, Table 6.3 "baseline"): a
# shared MobileNetV2 encoder (mmseg's, output stride 8 by dilation) and per
# task a two-layer head (3x3 conv + BN + ReLU, 1x1 prediction) whose output
# is upsampled 8x bilinearly. Segmentation takes the cross-entropy, depth
# the thesis's own depth loss of ch. 3 (the classification over 150
# log-spaced bins with VNL's soft targets, DepthBinHead: the U-shape decoder
# the thesis follows is VNL's, and the depth distillation terms read those
# bins), normals the cosine loss. Leaves pick the tasks (`decode_heads`)
# and set the class count. 256-channel heads (the thesis does not give their
# width): 3.34M parameters with segmentation and depth (the thesis: 3.31M).
# The parts a leaf adds per task: the basic auxiliary module and deep
# supervision on this encoder (auxiliary_module, deep_supervision).
_base_ = ['../auxiliary/basic_module_m-v2.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
mtl_crop = (385, 385)
# Encoder outputs 1, 2, 4, 6 of MobileNetV2: 24, 32, 96, 320 channels.
stage_channels = (24, 32, 96, 320)
# What every task's head shares: the last encoder output, a 3x3 conv of 256
# channels, then the task's prediction layer.
head_common = dict(
    in_channels=320,
    in_index=3,
    channels=256,
    dropout_ratio=0.1,
    norm_cfg=norm_cfg,
    align_corners=False)
seg_head = dict(
    head_common,
    type='FCNHead',
    num_convs=1,
    concat_input=False,
    loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))
depth_head = dict(
    head_common,
    type='DepthBinHead',
    _scope_='mmskd',
    pool_scales=(),  # no pyramid pooling: one 3x3 conv, then conv_seg
    num_bins=150,
    min_depth=0.1,
    max_depth=10.0)
normals_head = dict(
    head_common,
    type='SurfaceNormalHead',
    _scope_='mmskd',
    num_convs=1,
    concat_input=False)
model = dict(
    # Registered in mmseg's scope (the backbone's and heads' types resolve
    # there); mmskd's parts name their own scope.
    type='MultiTaskEncoderDecoder',
    data_preprocessor=dict(
        type='MultiTaskDataPreProcessor',
        _scope_='mmskd',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=mtl_crop),
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(
        type='MobileNetV2',
        widen_factor=1.,
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=norm_cfg),
    decode_heads=dict(seg=seg_head, depth=depth_head),
    test_cfg=dict(mode='whole'))
