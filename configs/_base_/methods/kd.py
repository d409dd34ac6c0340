# The KD baseline of knowledge adaptation's Table 3 (Hinton et al.): the
# teacher's softened class distribution at every pixel, the student's logits
# "bilinearly upsample[d] ... to the size of the teacher network". The paper
# reports T = 2, 4 and 6 (leaves set tau); tau^2 scales the loss (see
# PixelWiseDivergence); the weight is not given in the paper.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='StructuredDistill',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(logits=_base_.logits_recorder),
        teacher_recorders=dict(logits=_base_.logits_recorder),
        distill_losses=dict(
            loss_kd=dict(
                type='PixelWiseDivergence',
                tau=2.0,
                loss_weight=1.0,
                resize_student=True)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
