# "Local, beta = 1x1, alpha = 9" of the ablation table `graphs` (SKD thesis
# Table 3.2's single-pixel local graphs): each pixel of the fused feature is
# a node connected to the 3x3 square around it (Chebyshev radius 1).
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/skd_pi_pa.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        distill_losses=dict(loss_pa=dict(node_size=1, connection_range=1))))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
