# Cityscapes 512x1024 as sequences: each labelled frame comes with its
# neighbours from leftImg8bit_sequence (training: (frame_f, labelled,
# frame_b) at gap g in {1, 2}; validation: the labelled frame and the next,
# for the temporal-consistency metric). mmseg's pipeline positions are kept;
# the frames travel channel-stacked through one set of random transforms.
# With data_prefix['flow_path'] (flow_source PrecomputedFlow), the training
# pipeline loads the flow files too (LoadSequenceAnnotations) and resizes,
# crops and flips the flow with the frames (the Sequence* transforms);
# evaluation does not load it: the metric reads the files.
_base_ = ['./cityscapes-512x1024.py']
pack = dict(
    type='PackSequenceInputs',
    meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
               'pad_shape', 'scale_factor', 'flip', 'flip_direction',
               'reduce_zero_label', 'frame_paths', 'frame_offsets',
               'labelled_index', 'flow_pairs', 'flow_paths'))
train_pipeline = [
    dict(type='LoadSequenceFrames'),
    dict(type='LoadSequenceAnnotations'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0),
         keep_ratio=True, resize_type='SequenceResize'),
    dict(type='SequenceRandomCrop', crop_size=(512, 1024),
         cat_max_ratio=0.75),
    dict(type='SequenceRandomFlip', prob=0.5),
    dict(type='SequencePhotoMetricDistortion'),
    pack,
]
test_pipeline = [
    dict(type='LoadSequenceFrames'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadAnnotations'),
    pack,
]
train_dataloader = dict(dataset=dict(
    type='CityscapesSequenceDataset', gaps=(1, 2), pipeline=train_pipeline,
    data_prefix=dict(seq_path='leftImg8bit_sequence/train')))
val_dataloader = dict(dataset=dict(
    type='CityscapesSequenceDataset', eval_offsets=(0, 1),
    pipeline=test_pipeline,
    data_prefix=dict(seq_path='leftImg8bit_sequence/val')))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='mmskd.TemporalConsistencyMetric',
    iou_metrics=['mIoU'])
test_evaluator = val_evaluator
