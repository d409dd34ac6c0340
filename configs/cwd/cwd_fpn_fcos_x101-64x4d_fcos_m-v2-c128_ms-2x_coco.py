_base_ = [
    '../_base_/datasets/coco-detection.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/methods/cwd_fpn_connected.py',
    '../_base_/pairs/fcos_x101-64x4d_fcos_m-v2-c128_ms-2x_coco.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
# The recipe of the config the student is built on (see the pair base).
train_dataloader = dict(dataset=dict(pipeline=_base_.student_train_pipeline))
train_cfg = dict(max_epochs=_base_.student_max_epochs)
param_scheduler = _base_.student_param_scheduler
optim_wrapper = _base_.student_optim_wrapper
