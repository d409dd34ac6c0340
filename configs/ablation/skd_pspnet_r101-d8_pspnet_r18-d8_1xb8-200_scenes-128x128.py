# "+PI+PA+HO" of the ablation table `skd` (SKD thesis Table 3.1): structured
# distillation in full, the student playing against the holistic critic.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_demo_200.py',
    '../_base_/methods/skd.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
