# ResNet-50-D8 with a PSP depth-bin head: mmseg's PSPNet R-50-D8 with its
# classifier replaced by DepthBinHead (150 log-spaced bins, 0.1-10 m) in a
# depth estimator. Leaves change the backbone (and the head's widths).
_base_ = 'mmseg::_base_/models/pspnet_r50-d8.py'
crop_size = (480, 480)
model = dict(
    # mmseg's DepthEstimator, with test_cfg.mode='slide' that slides.
    type='PatchedDepthEstimator',
    # Padding is "no depth" (0), not the 255 of segmentation's ignore label.
    data_preprocessor=dict(seg_pad_val=0, size=crop_size),
    decode_head=dict(
        _delete_=True,
        type='DepthBinHead',
        _scope_='mmskd',
        in_channels=2048,
        in_index=3,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        num_bins=150,
        min_depth=0.1,
        max_depth=10.0,
        weighting='gaussian',
        alpha=0.2,
        loss_weight=1.0,
        loss_silog_weight=0.0),
    # A segmentation auxiliary head needs class labels, which depth lacks.
    auxiliary_head=None)
