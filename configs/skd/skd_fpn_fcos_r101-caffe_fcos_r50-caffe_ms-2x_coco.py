_base_ = [
    '../_base_/datasets/coco-detection.py',
    '../_base_/schedules/adversarial_1x.py',
    '../_base_/methods/skd_fpn.py',
    '../_base_/pairs/fcos_r101-caffe_fcos_r50-caffe_ms-2x_coco.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    discriminator=dict(in_channels=_base_.num_classes))
# The student's own model-zoo recipe (see the pair base), multi-scale; its
# optimizer settings go to the student's wrapper.
train_dataloader = dict(dataset=dict(pipeline=_base_.student_train_pipeline))
train_cfg = dict(max_epochs=_base_.student_max_epochs)
param_scheduler = _base_.student_param_scheduler
optim_wrapper = dict(architecture=_base_.student_optim_wrapper)
