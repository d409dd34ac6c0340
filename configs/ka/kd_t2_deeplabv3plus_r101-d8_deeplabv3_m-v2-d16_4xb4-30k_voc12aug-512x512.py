_base_ = [
    '../_base_/datasets/voc12aug-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/deeplab_30k.py',
    '../_base_/methods/kd.py',
    '../_base_/pairs/'
    'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_voc12aug-512x512.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(distill_losses=dict(loss_kd=dict(tau=2.0))))
