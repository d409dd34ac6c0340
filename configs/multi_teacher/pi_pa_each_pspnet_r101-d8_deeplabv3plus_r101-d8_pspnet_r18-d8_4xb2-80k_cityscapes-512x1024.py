_base_ = [
    '../_base_/datasets/cityscapes-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
    '../_base_/methods/pi_pa_per_teacher.py',
    '../_base_/pairs/pspnet_r101-d8_deeplabv3plus_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py'  # noqa
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    distiller=dict(
        student_recorders=dict(feature=dict(source=_base_.feature_source))))
