# The demo's student trained alone (the baseline): mmseg's PSPNet R-18-D8
# Cityscapes config at 1/8 of its ResNet widths, on the labels of the first
# `num_labelled` generated scenes with the schedule of the distilled student
# (skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py).
_base_ = [
    '../_base_/models/pspnet_r18-d8_w8.py',
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_300.py',
]
model = dict(data_preprocessor=dict(size=_base_.crop_size))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
