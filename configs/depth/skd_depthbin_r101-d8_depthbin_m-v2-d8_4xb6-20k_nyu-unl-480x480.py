# skd_depthbin_r101-d8_depthbin_m-v2-d8_4xb3-20k_nyu-480x480.py with
# unlabelled NYU video frames added (the paper's "+PA+HO+Unl", TPAMI Table XI
# = thesis Table 3.12): 3 labelled images plus 3 frames per GPU.
_base_ = [
    '../_base_/datasets/nyu-unl-480x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_depth_20k.py',
    '../_base_/methods/skd_depth.py',
    '../_base_/pairs/depthbin_r101-d8_depthbin_m-v2-d8_nyu-480x480.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
