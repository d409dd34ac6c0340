# The demo's student trained alone (the baseline): mmseg's PSPNet R-18-D8
# Cityscapes config at 1/8 of its ResNet widths, on the generated scenes with
# the schedule of the distilled student
# (skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py).
_base_ = [
    'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    './_base_/scenes.py',
]
model = _base_.demo_student
train_dataloader = _base_.demo_labelled_loader
val_dataloader = _base_.demo_test_loader
test_dataloader = _base_.demo_test_loader
train_cfg = _base_.demo_train_cfg
optim_wrapper = dict(optimizer=_base_.demo_optimizer)
param_scheduler = [_base_.demo_poly_lr]
default_hooks = _base_.demo_hooks
randomness = _base_.demo_randomness
