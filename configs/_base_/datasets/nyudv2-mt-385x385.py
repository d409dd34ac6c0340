# NYUD-v2 for multi-task learning (thesis App. A.2.2): the 795 / 654
# labelled frames with the 40 classes and depth (NYUDv2MultiTaskDataset's
# layout, docs/en/user_guides/2_dataset_prepare.md). Training: random reshape
# 0.5-2.1 with the depth divided by the scale, random crop 385x385, random
# flip (the thesis's augmentation) and mmseg's photometric distortion; test:
# the whole 640x480 image. Evaluated by mIoU and depth (mmseg's NYU crop).
dataset_type = 'NYUDv2MultiTaskDataset'
data_root = 'data/nyudv2_mt'
crop_size = (385, 385)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadUInt16DepthAnnotation', depth_rescale_factor=1e-3),
    dict(
        type='MultiTaskRandomResize',
        scale=(640, 480),
        ratio_range=(0.5, 2.1),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackMultiTaskInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadUInt16DepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackMultiTaskInputs'),
]
split_prefix = {
    split: dict(
        img_path=f'images/{split}',
        seg_map_path=f'labels40/{split}',
        depth_map_path=f'depth/{split}')
    for split in ('train', 'test')
}
train_dataloader = dict(
    batch_size=3,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=split_prefix['train'],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=split_prefix['test'],
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# A metric per task (single-task leaves list theirs).
seg_metric = dict(type='IoUMetric', iou_metrics=['mIoU'])
depth_metric = dict(
    type='PatchedDepthMetric', max_depth_eval=10.0, crop_type='nyu_crop')
val_evaluator = [seg_metric, depth_metric]
test_evaluator = val_evaluator
