# The pixel-wise term of structured distillation (PI, the "+PI" row of the
# SKD tables) on the score maps. The base of every "+PI+X" method: it also
# records the fused head feature (`feature`, the input of conv_seg: the
# PSP/ASPP `bottleneck`), which the second term X reads; leaf configs set
# its source from their pair base's `feature_source`, e.g. DeepLabV3+'s
# `decode_head.sep_bottleneck`.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    # The mmskd registry scope sits below mmrazor's; `_scope_` makes the
    # whole model build resolve mmskd, then mmrazor, then mmengine types.
    _scope_='mmskd',
    type='StructuredDistill',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(
            logits=_base_.logits_recorder, feature=_base_.feature_recorder),
        teacher_recorders=dict(
            logits=_base_.logits_recorder, feature=_base_.feature_recorder),
        distill_losses=dict(
            # λ1 = 10 of Eq. (4) ("making these loss value ranges
            # comparable"); SKD has no temperature.
            loss_pi=dict(type='PixelWiseDivergence', tau=1.0,
                         loss_weight=10.0)),
        loss_forward_mappings=dict(
            loss_pi=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
