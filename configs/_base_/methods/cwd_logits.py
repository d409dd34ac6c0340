# Channel-wise distillation of the score maps (logits), tau 1 and weight 5 as
# mmrazor's PSPNet config (75.54 mIoU there).
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    # The mmskd registry scope sits below mmrazor's; `_scope_` makes the
    # whole model build resolve mmskd, then mmrazor, then mmengine types.
    _scope_='mmskd',
    type='StructuredDistill',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(logits=_base_.logits_recorder),
        teacher_recorders=dict(logits=_base_.logits_recorder),
        distill_losses=dict(
            loss_cwd=dict(type='ChannelWiseDivergence', tau=1,
                          loss_weight=5)),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
