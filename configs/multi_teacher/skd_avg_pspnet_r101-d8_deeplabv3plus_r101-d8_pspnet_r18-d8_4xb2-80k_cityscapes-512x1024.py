# pi_pa_avg_*.py with the holistic term: the critic scores the student's
# score map (1/8) and the teachers' averaged one (1/4), each with the image
# at its size.
_base_ = [
    '../_base_/datasets/cityscapes-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_80k.py',
    '../_base_/methods/skd_averaged.py',
    '../_base_/pairs/pspnet_r101-d8_deeplabv3plus_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py'  # noqa
]
model = dict(
    architecture=_base_.student,
    teacher=dict(
        _base_.teacher, average=dict(feature=_base_.teacher_feature_sources)),
    distiller=dict(
        student_recorders=dict(feature=dict(source=_base_.feature_source)),
        distill_losses=dict(
            loss_pi=dict(resize_student=True),
            loss_pa=dict(node_size=4, match_node_grids=True))),
    discriminator=dict(in_channels=19))
