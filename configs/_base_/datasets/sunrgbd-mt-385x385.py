# SUNRGBD for three-task learning (thesis Table 6.7): 5,285 train / 5,050
# test images with the 13 classes, depth and surface normals
# (SUNRGBDMultiTaskDataset's layout, docs/en/user_guides/2_dataset_prepare.md),
# augmented as nyudv2-mt-385x385.py, normals flipped with the image;
# evaluated by mIoU, depth (every pixel: SUNRGBD's images vary in size) and
# normal angle errors.
_base_ = ['./nyudv2-mt-385x385.py']
dataset_type = 'SUNRGBDMultiTaskDataset'
data_root = 'data/sunrgbd_mt'
load_normals = dict(type='LoadSurfaceNormals')
train_pipeline = _base_.train_pipeline[:3] + [load_normals
                                              ] + _base_.train_pipeline[3:]
test_pipeline = _base_.test_pipeline[:3] + [load_normals
                                            ] + _base_.test_pipeline[3:]
split_prefix = {
    split: dict(
        _base_.split_prefix[split],
        seg_map_path=f'labels13/{split}',
        normal_map_path=f'normals/{split}')
    for split in ('train', 'test')
}
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=split_prefix['train'],
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=split_prefix['test'],
        pipeline=test_pipeline))
test_dataloader = val_dataloader
depth_metric = dict(_base_.depth_metric, crop_type=None)
normals_metric = dict(type='SurfaceNormalMetric')
val_evaluator = [_base_.seg_metric, depth_metric, normals_metric]
test_evaluator = val_evaluator
