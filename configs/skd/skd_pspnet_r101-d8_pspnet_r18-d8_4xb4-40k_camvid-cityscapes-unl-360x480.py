# skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-40k_camvid-360x480.py with 2000
# Cityscapes images as unlabelled data (2 labelled + 2 unlabelled per GPU).
_base_ = [
    '../_base_/datasets/camvid-cityscapes-unl-360x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_40k.py',
    '../_base_/methods/skd.py',
    '../_base_/pairs/pspnet_r101-d8_pspnet_r18-d8_camvid-360x480.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        student_recorders=dict(feature=dict(source=_base_.feature_source)),
        teacher_recorders=dict(feature=dict(source=_base_.feature_source))),
    discriminator=dict(in_channels=_base_.num_classes))
