# Channel-wise distillation of the five FPN levels (P3-P7), as mmrazor's
# cwd_fpn detection configs: tau 1 and weight 10 on each level, every level
# its own loss (the levels differ in size). The teacher runs only its
# backbone and neck (mmrazor's FpnTeacherDistill). Students validate alone
# (mmdet's ValLoop).
# Leaf configs use the student's own recipe from configs/_base_/schedules/.
_base_ = ['./separate_ddp.py']
model = dict(
    # Build in the mmskd scope; the students and teachers are built in
    # mmdet's, the scope of their cfg_path configs.
    _scope_='mmskd',
    type='StructuredDistill',
    teacher_forward='extract_feat',
    distiller=dict(
        type='StructuredDistiller',
        # The neck returns a tuple of the 5 levels; data_idx picks one.
        student_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(
            loss_cwd_fpn0=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn1=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn2=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn3=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn4=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=10)),
        loss_forward_mappings=dict(
            loss_cwd_fpn0=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=0),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=0)),
            loss_cwd_fpn1=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=1),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=1)),
            loss_cwd_fpn2=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=2),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=2)),
            loss_cwd_fpn3=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=3),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=3)),
            loss_cwd_fpn4=dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=4),
                preds_T=dict(from_student=False, recorder='fpn',
                             data_idx=4)))))
