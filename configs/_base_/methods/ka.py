# Knowledge adaptation (He et al., CVPR 2019), phase 2: L_ce + 50 * L_adapt
# + 1 * L_aff ("set to 50 and 1 respectively in all our experiments").
# The teacher's last feature phi_t goes through the frozen encoder of phase
# 1 (`translator`, loaded from the leaf's translator_ckpt); the student's
# last feature phi_s through two adapters trained with it, C_f for the
# adaptation loss and C_a for the affinity loss (3 x 3x3 conv-BN-ReLU each;
# the paper leaves C_a's design open). The adapters' widths are read off
# the recorded modules, the encoder's from the phase-1 checkpoint.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='KnowledgeAdaptationDistill',
    translator_connector='translator',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(feature=_base_.feature_recorder),
        teacher_recorders=dict(feature=_base_.feature_recorder),
        connectors=dict(
            translator=dict(type='TranslatorEncoder'),
            feature_adapter=dict(type='ConvAdapter', num_convs=3),
            affinity_adapter=dict(type='ConvAdapter', num_convs=3)),
        distill_losses=dict(
            # q = 2 normalisation of each position's C-vector, p = 1
            # distance averaged over every element: the reading under which
            # 50 puts the term on the cross-entropy's scale (see the loss).
            loss_adapt=dict(
                type='KnowledgeAdaptationLoss',
                p=1,
                q=2,
                normalize='position',
                reduction='mean',
                loss_weight=50.0),
            # Row-wise L2 distance of the m x m cosine affinities.
            loss_aff=dict(
                type='AffinityDistillationLoss',
                reduction='l2',
                loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_adapt=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feature',
                    connector='feature_adapter'),
                preds_T=dict(
                    from_student=False,
                    recorder='feature',
                    connector='translator')),
            loss_aff=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feature',
                    connector='affinity_adapter'),
                preds_T=dict(
                    from_student=False,
                    recorder='feature',
                    connector='translator')))))
