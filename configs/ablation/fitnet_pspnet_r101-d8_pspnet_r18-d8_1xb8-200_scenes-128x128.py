# "FitNet" of the ablation table `ka` (knowledge adaptation's Table 3): a
# linear 1x1 regressor from the student's fused feature (16 channels) to the
# teacher's (128); both are at stride 8 here, so nothing is upsampled.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/fitnet.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
regressor = dict(
    type='mmrazor.ConvModuleConnector', kernel_size=1, norm_cfg=None,
    act_cfg=None, in_channel=16, out_channel=128)
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(connectors=dict(regressor=regressor)))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
