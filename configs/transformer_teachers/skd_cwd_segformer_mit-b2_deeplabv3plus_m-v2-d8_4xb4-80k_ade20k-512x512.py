_base_ = [
    '../_base_/datasets/ade20k-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_80k.py',
    '../_base_/methods/skd_cwd_upsampled_student.py',
    '../_base_/pairs/segformer_mit-b2_deeplabv3plus_m-v2-d8_ade20k-512x512.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        student_recorders=dict(
            feature=dict(source=_base_.student_feature_source)),
        teacher_recorders=dict(
            feature=dict(source=_base_.teacher_feature_source))),
    discriminator=dict(in_channels=_base_.num_classes))
