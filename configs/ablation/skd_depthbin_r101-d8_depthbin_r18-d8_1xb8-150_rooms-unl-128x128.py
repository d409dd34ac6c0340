# "+PA+HO+Unl" of the ablation table `depth` (thesis Table 3.12): the row
# "+PA+HO" whose batches also hold 8 rooms without depth, which only the
# distillation terms see.
_base_ = [
    '../_base_/datasets/rooms-unl-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_demo_150.py',
    '../_base_/methods/skd_depth.py',
    '../_base_/pairs/depthbin_r101-d8_w16_depthbin_r18-d8_w8_rooms-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
