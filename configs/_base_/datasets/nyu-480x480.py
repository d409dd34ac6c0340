# NYU Depth v2 (mmseg's layout and pipeline: 480x480 train crops, 640x480
# test images, depth in metres), with four changes: depth maps that are not
# 16-bit PNGs raise an error naming the file; the dataset (CheckedNYUDataset)
# reads 16 depth maps spread over each split when it loads and refuses
# depths in another unit than millimetres (e.g. metres or 0.1 mm: a median
# depth outside 0.4-10 m), missing files and maps without depth
# (`check_depths='all'` reads every map); the photometric augmentation is
# mmseg's own PhotoMetricDistortion instead of Albu (no albumentations
# dependency); the metric accepts a metric list.
_base_ = ['mmseg::_base_/datasets/nyu.py']
load_depth = dict(type='LoadUInt16DepthAnnotation', depth_rescale_factor=1e-3)
pack = dict(
    type='PackSegInputs',
    meta_keys=('img_path', 'depth_map_path', 'ori_shape', 'img_shape',
               'pad_shape', 'scale_factor', 'flip', 'flip_direction',
               'category_id'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    load_depth,
    dict(type='RandomDepthMix', prob=0.25),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(480, 480)),
    dict(type='PhotoMetricDistortion'),
    pack,
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2000, 480), keep_ratio=True),
    load_depth,
    pack,
]
dataset_type = 'CheckedNYUDataset'
train_dataloader = dict(
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchedDepthMetric')
test_evaluator = val_evaluator
