# Structured distillation for depth on NYU: pair-wise on the fused head
# feature + holistic on the depth map (real = the teacher's depth), from the
# R-101-D8 depth teacher, which you train first with
# configs/depth/depthbin_r101-d8_4xb3-20k_nyu-480x480.py (teacher_ckpt:
# configs/_base_/pairs/depthbin_r101-d8_depthbin_m-v2-d8_nyu-480x480.py).
_base_ = [
    '../_base_/datasets/nyu-480x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_depth_20k.py',
    '../_base_/methods/skd_depth.py',
    '../_base_/pairs/depthbin_r101-d8_depthbin_m-v2-d8_nyu-480x480.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
train_dataloader = dict(batch_size=3)
