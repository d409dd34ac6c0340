# The demo's distilled student: structured knowledge distillation in full
# (pixel-wise + pair-wise + holistic) plus the channel-wise term on the fused
# head feature (configs/_base_/methods/skd_pa_cwd.py), from the demo teacher
# into the demo student, on the student baseline's data, schedule and seed.
# tools/demo.py passes the teacher's checkpoint as
# --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_demo_300.py',
    '../_base_/methods/skd_pa_cwd.py',
]
# The two demo configs: the models are exactly the ones trained alone.
model = dict(
    architecture=dict(
        cfg_path='{{fileDirname}}/pspnet_r18-d8_w8_scenes-128x128.py'),
    teacher=dict(
        cfg_path='{{fileDirname}}/pspnet_r101-d8_w16_scenes-128x128.py'),
    teacher_ckpt=None)
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
