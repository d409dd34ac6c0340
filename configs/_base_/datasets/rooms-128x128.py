# The generated rooms (`mmskd.ablation.write_rooms`; tools/analysis_tools/
# ablation.py writes them) in NYU Depth v2's layout, read as nyu-480x480.py
# reads NYU at the rooms' size: 160x128 images, 128x128 training crops, the
# whole image at test, every pixel evaluated (the NYU crop window is for
# 640x480 images). Students see the depth maps of the first `num_labelled`
# rooms (their configs set the dataset's `indices`), the teacher all.
_base_ = ['./nyu-480x480.py']
data_root = 'data/mmskd_rooms'
# (Not `crop_size`: the depth model bases name theirs so.)
room_crop = (128, 128)
num_labelled = 100
train_pipeline = [
    dict(step, crop_size=room_crop) if step['type'] == 'RandomCrop' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=(2000, 128)) if step['type'] == 'Resize' else step
    for step in _base_.test_pipeline
]
# Batches of 8, no dataloader workers (as scenes-128x128.py).
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(crop_type=None)
test_evaluator = val_evaluator
