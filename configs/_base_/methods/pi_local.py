# "+PI+LOCAL" of SKD Table 3.7: the pixel-wise term (pi.py) plus the
# 8-neighbourhood local similarity of the fused head feature
# (LocalSimilarityLoss: per pixel, the summed distance of its unit-norm
# feature to its 8 neighbours', the student's map pulled to the teacher's
# by MSE); weight 10 as the structured terms (λ1). No connector is needed.
_base_ = ['./pi.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_local=dict(type='LocalSimilarityLoss', loss_weight=10.0)),
        loss_forward_mappings=dict(
            loss_local=dict(
                preds_S=dict(from_student=True, recorder='feature'),
                preds_T=dict(from_student=False, recorder='feature')))))
