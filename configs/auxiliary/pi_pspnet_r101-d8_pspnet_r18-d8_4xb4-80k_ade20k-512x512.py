# Thesis Table 6.2 "ResNet-18 + KD" (35.48 mIoU): pixel-wise KD of the score
# maps (SKD's PI, methods/pi.py, the KD the thesis follows from [86]) from
# PSPNet R-101-D8 into the baseline of this folder (no auxiliary head).
_base_ = [
    '../_base_/datasets/ade20k-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
    '../_base_/methods/pi.py',
    '../_base_/pairs/pspnet_r101-d8_pspnet_r18-d8_ade20k-512x512.py',
]
model = dict(
    architecture=dict(cfg_path='{{fileDirname}}/'
                      'pspnet_r18-d8_4xb4-80k_ade20k-512x512.py'),
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        student_recorders=dict(feature=dict(source=_base_.feature_source)),
        teacher_recorders=dict(feature=dict(source=_base_.feature_source))))
