_base_ = [
    '../_base_/datasets/voc12aug-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/deeplab_30k.py',
    '../_base_/methods/fitnet.py',
    '../_base_/pairs/'
    'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_voc12aug-512x512.py',
]
regressor = dict(  # FitNet's linear 1x1 regressor, student to teacher width
    type='mmrazor.ConvModuleConnector', kernel_size=1, norm_cfg=None,
    act_cfg=None, in_channel=_base_.student_feature_channels,
    out_channel=_base_.teacher_feature_channels)
upsample = dict(  # stride 16 to the teacher's 8
    type='mmrazor.TorchFunctionalConnector', function_name='interpolate',
    func_args=dict(scale_factor=2, mode='bilinear', align_corners=False))
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(connectors=dict(regressor=[regressor, upsample])))
