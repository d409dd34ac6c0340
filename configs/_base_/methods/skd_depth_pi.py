# The pixel-wise ablation of depth distillation (the "PI" row of TPAMI Table
# 3.12: rel 0.183 against the student's 0.181, i.e. it does not help): the
# pixel-wise term of skd_pi_pa.py (KL(teacher || student), λ1 = 10) on the
# distributions over DepthBinHead's depth bins (decode_head.conv_seg, one
# class per bin), alone. Kept so that users can see it.
_base_ = ['./skd_pi_pa.py']
pi_pa = _base_.model.distiller
model = dict(
    distiller=dict(
        student_recorders=dict(
            _delete_=True, logits=pi_pa.student_recorders.logits),
        teacher_recorders=dict(
            _delete_=True, logits=pi_pa.teacher_recorders.logits),
        distill_losses=dict(
            _delete_=True, loss_pi=pi_pa.distill_losses.loss_pi),
        loss_forward_mappings=dict(
            _delete_=True, loss_pi=pi_pa.loss_forward_mappings.loss_pi)))
