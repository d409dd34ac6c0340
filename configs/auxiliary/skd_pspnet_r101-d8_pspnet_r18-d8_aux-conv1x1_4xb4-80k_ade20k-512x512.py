# Beyond the thesis: the basic auxiliary module (conv1x1) and structured
# distillation (PI + PA + HO from PSPNet R-101-D8) in one training run. Both
# are training-time constraints on the same student: one run, one deployed
# PSPNet R-18-D8 (`convert_to_student.py --drop-auxiliary-heads`).
_base_ = [
    '../_base_/datasets/ade20k-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_80k.py',
    '../_base_/methods/skd.py',
    '../_base_/pairs/pspnet_r101-d8_pspnet_r18-d8_ade20k-512x512.py',
]
model = dict(
    architecture=dict(cfg_path='{{fileDirname}}/'
                      'pspnet_r18-d8_aux-conv1x1_4xb4-80k_ade20k-512x512.py'),
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        student_recorders=dict(feature=dict(source=_base_.feature_source)),
        teacher_recorders=dict(feature=dict(source=_base_.feature_source))),
    discriminator=dict(in_channels=_base_.num_classes))
