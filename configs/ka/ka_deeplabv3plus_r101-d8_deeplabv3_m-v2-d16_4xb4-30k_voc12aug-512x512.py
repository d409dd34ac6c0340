_base_ = [
    '../_base_/datasets/voc12aug-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/deeplab_30k.py',
    '../_base_/methods/ka.py',
    '../_base_/pairs/'
    'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_voc12aug-512x512.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    # Written by phase 1, configs/ka/ka_translator_..._voc12aug-512x512.py.
    translator_ckpt='work_dirs/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_'
    'voc12aug-512x512/epoch_1.pth')
