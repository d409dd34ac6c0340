# Phase 1 of "KA" in the ablation table `ka`: the translator of the demo
# teacher's fused feature, on the images of the 100 scenes the students see:
# 20 epochs of 13 iterations, about the students' 300, as the paper's one
# VOC epoch is a large part of its schedule.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/translator_1epoch.py',
    '../_base_/methods/ka_translator.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,  # read for its data_preprocessor only
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
train_cfg = dict(max_epochs=20)
train_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(indices=_base_.num_labelled))
val_dataloader = val_evaluator = None
