# "Feature-fusion" of the ablation table `graphs` (SKD thesis Table 3.2):
# fully connected graphs on the fused feature (stride 8, 2x2 nodes), the
# first residual stage (stride 4, 4x4) and the stem (stride 2, 8x8): an 8x8
# node grid on each of a 128x128 crop's three maps.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/skd_pi_pa_feature_fusion.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
