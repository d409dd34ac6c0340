# The thesis's full "Ours" (Table 4.6): channel-wise distillation of the
# fused feature (cwd_fea.py) replaces pair-wise, with the pixel-wise and
# holistic terms on the score map kept "following previous methods".
_base_ = ['./cwd_fea.py', './holistic.py']
model = dict(
    distiller=dict(
        student_recorders=dict(logits=_base_.logits_recorder),
        teacher_recorders=dict(logits=_base_.logits_recorder),
        distill_losses=dict(
            # λ1 = 10 as in structured distillation.
            loss_pi=dict(
                type='PixelWiseDivergence', tau=1.0, loss_weight=10.0)),
        loss_forward_mappings=dict(
            loss_pi=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))),
    **_base_.holistic_model)
