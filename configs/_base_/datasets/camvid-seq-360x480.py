# CamVid 360x480 (camvid-360x480.py) as sequences: each labelled frame comes
# with its neighbours from the videos' frames in data/CamVid/sequences/
# (CamVidSequenceDataset; training: (frame_f, labelled, frame_b) at gap g in
# {1, 2, 3}, the official code's CamVid gaps; validation and test: the
# labelled frame and the next, for the temporal-consistency metric). The
# frames travel channel-stacked through one set of random transforms; with
# data_prefix['flow_path'] the precomputed flow travels with them (see
# cityscapes-seq-512x1024.py).
_base_ = ['./camvid-360x480.py']
pack = dict(
    type='PackSequenceInputs',
    meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
               'pad_shape', 'scale_factor', 'flip', 'flip_direction',
               'reduce_zero_label', 'frame_paths', 'frame_offsets',
               'labelled_index', 'flow_pairs', 'flow_paths'))
train_pipeline = [
    dict(type='LoadSequenceFrames'),
    dict(type='LoadSequenceAnnotations'),
    dict(
        type='RandomResize',
        scale=(480, 360),
        ratio_range=(0.5, 2.0),
        keep_ratio=True,
        resize_type='SequenceResize'),
    dict(
        type='SequenceRandomCrop',
        crop_size=_base_.crop_size,
        cat_max_ratio=0.75),
    dict(type='SequenceRandomFlip', prob=0.5),
    dict(type='SequencePhotoMetricDistortion'),
    pack,
]
test_pipeline = [
    dict(type='LoadSequenceFrames'),
    dict(type='Resize', scale=(480, 360), keep_ratio=True),
    dict(type='LoadAnnotations'),
    pack,
]
sequences = dict(seq_path='sequences')
# Validation (val) and tools/test.py (test) serve the same frame pairs.
sequence_eval = dict(
    type='CamVidSequenceDataset',
    eval_offsets=(0, 1),
    data_prefix=sequences,
    pipeline=test_pipeline)
train_dataloader = dict(
    dataset=dict(
        type='CamVidSequenceDataset',
        gaps=(1, 2, 3),
        data_prefix=sequences,
        pipeline=train_pipeline))
val_dataloader = dict(dataset=sequence_eval)
test_dataloader = dict(dataset=sequence_eval)
val_evaluator = dict(
    _delete_=True,
    type='mmskd.TemporalConsistencyMetric',
    iou_metrics=['mIoU'])
test_evaluator = val_evaluator
