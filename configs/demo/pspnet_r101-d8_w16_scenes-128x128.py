# The demo's teacher: mmseg's PSPNet R-101-D8 Cityscapes config at 1/4 of its
# ResNet widths, trained from scratch on the generated scenes (tools/demo.py).
_base_ = [
    'mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    './_base_/scenes.py',
]
model = _base_.demo_teacher
train_dataloader = _base_.demo_train_loader
val_dataloader = _base_.demo_test_loader
test_dataloader = _base_.demo_test_loader
train_cfg = _base_.demo_teacher_train_cfg
optim_wrapper = dict(optimizer=_base_.demo_optimizer)
param_scheduler = [_base_.demo_poly_lr]
default_hooks = _base_.demo_hooks
randomness = _base_.demo_randomness
