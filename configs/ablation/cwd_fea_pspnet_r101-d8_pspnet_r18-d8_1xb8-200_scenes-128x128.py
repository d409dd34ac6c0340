# "CWD on the feature" of the ablation table `cwd` (thesis Table 4.2, feature
# map): channel-wise distillation of the fused head feature alone.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/cwd_fea.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
