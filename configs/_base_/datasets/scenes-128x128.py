# The demo's generated scenes (`mmskd.demo.write_scenes`; tools/demo.py
# writes them) in the Cityscapes layout, read by mmskd's
# CheckedCityscapesDataset (mmseg's CityscapesDataset with its labels checked
# at load) with mmseg's Cityscapes pipeline at the scenes' size: 128x128
# images instead of 2048x1024, the same random rescale (0.5 to 2), crop,
# flip and photometric distortion.
_base_ = ['mmseg::_base_/datasets/cityscapes.py']
dataset_type = 'CheckedCityscapesDataset'
data_root = 'data/mmskd_scenes'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
# Few labels, many images: the teacher learns from all training scenes with
# their labels, the students from the labels of the first `num_labelled`
# only (their configs set the dataset's `indices`).
num_labelled = 100
# The 4 x 2 images per iteration of the model-zoo schedules, in one process
# (tools/demo.py splits the teacher's into two processes of 4). No
# dataloader workers: they would compete with training for 2 CPU cores.
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
