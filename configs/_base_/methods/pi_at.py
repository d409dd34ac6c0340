# "+PI+AT" of SKD Table 3.7 (Zagoruyko & Komodakis's attention transfer):
# the pixel-wise term (pi.py) plus AT on the fused head feature, mmrazor's
# ATLoss (channel mean of squared activations per pixel, L2-normalised per
# sample, MSE; pinned by
# tests/test_models/test_losses/test_at_loss.py); weight 1000, the AT
# paper's beta, which brings its small values to the other terms' range.
# The attention maps have no channel axis, so no connector is needed.
_base_ = ['./pi.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_at=dict(type='mmrazor.ATLoss', loss_weight=1000.0)),
        loss_forward_mappings=dict(
            loss_at=dict(
                s_feature=dict(from_student=True, recorder='feature'),
                t_feature=dict(from_student=False, recorder='feature')))))
