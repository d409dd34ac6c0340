# "KD" of the ablation table `ka` (knowledge adaptation's Table 3, T = 2,
# its best KD): the teacher's softened class distribution at every pixel.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/kd.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(distill_losses=dict(loss_kd=dict(tau=2.0))))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
