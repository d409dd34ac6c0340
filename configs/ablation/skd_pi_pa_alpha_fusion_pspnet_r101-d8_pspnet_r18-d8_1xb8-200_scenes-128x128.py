# "Alpha-fusion" of the ablation table `graphs` (SKD thesis Table 3.2, note 1)
# on the 8x8 node grid (2x2 nodes) of a 128x128 crop: the full graph plus
# squares of Chebyshev radius 2 and 1 (25, 9 nodes), three distinct graphs as
# in the note, whose 16 and 4 nodes (W'/4 x H'/4, W'/8 x H'/8) are nearest r=1.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/skd_pi_pa_alpha_fusion.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        distill_losses=dict(
            loss_pa_alpha4=dict(connection_range=2),
            loss_pa_alpha8=dict(connection_range=1))))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
