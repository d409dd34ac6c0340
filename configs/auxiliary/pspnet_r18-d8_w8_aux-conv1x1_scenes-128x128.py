# The demo's student (configs/demo/pspnet_r18-d8_w8_scenes-128x128.py) with
# the basic auxiliary module instead of its FCN auxiliary head, at the
# student's 1/8 widths (stages of 8 to 64 channels, adaptors of 8).
_base_ = [
    '../_base_/models/pspnet_r18-d8_w8.py',
    '../_base_/auxiliary/basic_module_r18.py',
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_300.py',
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    auxiliary_head=dict(
        _base_.auxiliary_module,
        in_channels=[8, 16, 32, 64],
        channels=8,
        num_classes=19,
        _delete_=True))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
