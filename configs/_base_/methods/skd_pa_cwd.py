# Structured knowledge distillation in full (pixel-wise + pair-wise +
# holistic, skd.py) plus the channel-wise term on the fused head feature
# (cwd_fea.py: tau 3, weight 3, the student's feature widened by a linear
# 1x1 conv + BN to the teacher's channels): the demo's distilled student.
_base_ = ['./skd.py']
model = dict(
    distiller=dict(
        connectors=dict(
            student_feature=dict(
                type='mmrazor.ConvModuleConnector',
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=None)),
        distill_losses=dict(
            loss_cwd=dict(type='ChannelWiseDivergence', tau=3, loss_weight=3)),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feature',
                    connector='student_feature'),
                preds_T=dict(from_student=False, recorder='feature')))))
