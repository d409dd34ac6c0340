# "+PA+HO" of the ablation table `depth` (thesis Table 3.12): pair-wise on
# the fused head feature and holistic on the depth map, on the student's
# 150 iterations with the discriminator's (schedules/adversarial_demo_150.py).
_base_ = [
    '../_base_/datasets/rooms-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_demo_150.py',
    '../_base_/methods/skd_depth.py',
    '../_base_/pairs/depthbin_r101-d8_w16_depthbin_r18-d8_w8_rooms-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
