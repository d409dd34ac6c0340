# The generated rooms with three tasks (mmskd.ablation.write_multi_task_rooms:
# 4 classes, depth, normals) in MultiTaskDataset's layout, read as
# sunrgbd-mt-385x385.py reads SUNRGBD at the rooms' size: 160x128 images,
# random reshape 0.75-1.5 with the depth divided by the scale, 128x128
# crops, flips that mirror the normals; the whole image at test, every
# pixel evaluated. Batches of 8, no dataloader workers (as the demo's).
_base_ = ['./sunrgbd-mt-385x385.py']
data_root = 'data/mmskd_mt_rooms'
room_crop = (128, 128)
room_resize = dict(scale=(160, 128), ratio_range=(0.75, 1.5))
train_pipeline = [
    dict(step, **room_resize) if step['type'] == 'MultiTaskRandomResize' else
    dict(step, crop_size=room_crop) if step['type'] == 'RandomCrop' else step
    for step in _base_.train_pipeline
]
rooms = dict(
    type='MultiTaskDataset',
    data_root=data_root,
    metainfo=dict(classes=('floor', 'ceiling', 'wall', 'box')))
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        rooms,
        data_prefix=dict(
            _base_.split_prefix['train'], seg_map_path='labels/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        rooms,
        data_prefix=dict(
            _base_.split_prefix['test'], seg_map_path='labels/test')))
test_dataloader = val_dataloader
