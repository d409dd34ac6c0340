# coco-detection.py with the multi-scale training of mmdet's FCOS "ms-640-800"
# configs: the short side is 640 or 800 at random (long side up to 1333).
_base_ = ['./coco-detection.py']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
