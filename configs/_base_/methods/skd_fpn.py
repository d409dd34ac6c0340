# Structured knowledge distillation for FCOS (Liu et al., detection): the
# pair-wise term on all five FPN levels and the holistic term on the
# classification score maps of each level, added to the FCOS task loss.
# The teacher runs its head too (mode 'tensor', never its loss) so that the
# critic sees its score maps. Students validate alone (mmdet's ValLoop).
_base_ = ['mmdet::_base_/schedules/schedule_1x.py', './holistic.py']
# Pair-wise, each level its own loss (the levels differ in size):
# - nodes of 2x2 pixels, average-pooled, fully connected: the thesis's best
#   graph (Table 3.2), as the segmentation configs. Its n x n affinities
#   never exist (Gram-matrix form), so P3 of a 1333x800 image (~4k nodes)
#   is cheap.
# - weight 10 on each level: Eq. (4)'s lambda_1 = 10 on the pair-wise term
#   (the objective the paper also uses for detection, with the FCOS loss in
#   place of the cross-entropy), with l_pa summed over the levels it is
#   "applied on" (all FPN outputs), as mmrazor weighs its per-level FPN
#   terms. The official code's lambda_pa = 1 belongs to its other graph
#   (about 3x3 max-pooled nodes), see configs/_base_/methods/skd_pi_pa.py.
pa_fpn = dict(
    type='PairWiseAffinityLoss',
    node_size=2,
    connection_range=None,
    pool='avg',
    loss_weight=10.0)
model = dict(
    _scope_='mmskd',
    type='StructuredDistill',
    teacher_forward='tensor',
    distiller=dict(
        type='StructuredDistiller',
        # `fpn`: the neck's tuple of 5 levels (data_idx picks one).
        # `cls_scores`: FCOS's shared classification conv runs once per
        # level, so its record_idx is the level.
        student_recorders=dict(
            fpn=dict(type='ModuleOutputs', source='neck'),
            cls_scores=dict(type='ModuleOutputs',
                            source='bbox_head.conv_cls')),
        teacher_recorders=dict(
            fpn=dict(type='ModuleOutputs', source='neck'),
            cls_scores=dict(type='ModuleOutputs',
                            source='bbox_head.conv_cls')),
        distill_losses=dict(
            loss_pa_fpn0=pa_fpn,
            loss_pa_fpn1=pa_fpn,
            loss_pa_fpn2=pa_fpn,
            loss_pa_fpn3=pa_fpn,
            loss_pa_fpn4=pa_fpn),
        loss_forward_mappings=dict(
            loss_pa_fpn0=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=0),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=0)),
            loss_pa_fpn1=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=1),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=1)),
            loss_pa_fpn2=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=2),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=2)),
            loss_pa_fpn3=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=3),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=3)),
            loss_pa_fpn4=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=4),
                preds_T=dict(from_student=False, recorder='fpn',
                             data_idx=4)))),
    # The A2L4 critic of holistic.py on a score map (sigmoid logits of the
    # classes) conditioned on the image, one score map per level; the
    # student's term and the critic's loss average the five levels.
    discriminator=dict(_base_.critic, in_channels=80),  # leaf: class count
    holistic=dict(
        _base_.holistic_term,
        student_recorder='cls_scores',
        teacher_recorder='cls_scores',
        record_indices=(0, 1, 2, 3, 4)))
# Two optimizers: the student's SGD (FCOS's recipe; leaf configs merge the
# pair's student_optim_wrapper into it) and the critic's of holistic.py. The
# schedule's plain param_scheduler list drives both.
optim_wrapper = dict(
    _base_.adversarial_optim_wrapper,
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001)))
model_wrapper_cfg = _base_.adversarial_model_wrapper
