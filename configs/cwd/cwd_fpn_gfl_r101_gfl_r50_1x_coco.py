_base_ = [
    '../_base_/datasets/coco-detection.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/methods/cwd_fpn.py',
    '../_base_/pairs/gfl_r101_gfl_r50_1x_coco.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
