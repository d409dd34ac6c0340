_base_ = [
    '../_base_/datasets/coco-detection.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/methods/cwd_fpn.py',
    '../_base_/pairs/retinanet_r101_retinanet_r50_2x_coco.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
# The student's own model-zoo recipe (see the pair base).
train_cfg = dict(max_epochs=_base_.student_max_epochs)
param_scheduler = _base_.student_param_scheduler
optim_wrapper = _base_.student_optim_wrapper
