# Structured knowledge distillation for FCOS (Liu et al., detection) without
# the holistic term: pair-wise on the five FPN levels and pixel-wise on the
# classification score maps of each level, added to the FCOS task loss: the
# thesis's detection "Ours (PA + pixel-wise)" (Table 3.13; Table 3.14's
# "w/ distillation"). Every term is the sum over the five levels of one
# weighted per-level term. The teacher runs its head too (mode 'tensor',
# never its loss) so that its score maps are recorded. Leaf configs use the
# student's own recipe from configs/_base_/schedules/.
# Pair-wise: nodes of 2x2 pixels, average-pooled, fully connected (the
# thesis's best graph, Table 3.2, as the segmentation configs; its n x n
# affinities never exist, so P3 of a 1333x800 image is cheap), weight
# λ1 = 10 of Eq. (4) on each level.
pa = dict(
    type='PairWiseAffinityLoss',
    node_size=2,
    connection_range=None,
    pool='avg',
    loss_weight=10.0)
# Pixel-wise: FCOS's classifier is a sigmoid per class, so each class is a
# Bernoulli distribution (BernoulliPixelWiseDivergence); weight λ1 = 10.
pi = dict(type='BernoulliPixelWiseDivergence', tau=1.0, loss_weight=10.0)
# `fpn`: the neck's tuple of 5 levels (data_idx picks one). `cls_scores`:
# FCOS's shared classification conv runs once per level, so its record_idx
# is the level.
pa_fpn = {
    f'loss_pa_fpn{level}': dict(
        preds_S=dict(from_student=True, recorder='fpn', data_idx=level),
        preds_T=dict(from_student=False, recorder='fpn', data_idx=level))
    for level in range(5)
}
pi_cls = {
    f'loss_pi_cls{level}': dict(
        preds_S=dict(
            from_student=True, recorder='cls_scores', record_idx=level),
        preds_T=dict(
            from_student=False, recorder='cls_scores', record_idx=level))
    for level in range(5)
}
recorders = dict(
    fpn=dict(type='ModuleOutputs', source='neck'),
    cls_scores=dict(type='ModuleOutputs', source='bbox_head.conv_cls'))
_base_ = ['./separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='StructuredDistill',
    teacher_forward='tensor',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=recorders,
        teacher_recorders=recorders,
        distill_losses={
            **{name: pa for name in pa_fpn},
            **{name: pi for name in pi_cls}
        },
        loss_forward_mappings={
            **pa_fpn,
            **pi_cls
        }))
