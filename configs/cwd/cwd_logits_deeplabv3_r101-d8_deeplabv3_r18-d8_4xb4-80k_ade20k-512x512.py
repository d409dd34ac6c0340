_base_ = [
    '../_base_/datasets/ade20k-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
    '../_base_/methods/cwd_logits.py',
    '../_base_/pairs/deeplabv3_r101-d8_deeplabv3_r18-d8_ade20k-512x512.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
