# SKD Table 3.2's "Beta-fusion" (71.91 vs 71.78 for the single 2x2 graph):
# PI plus three fully connected pair-wise graphs on the fused head feature,
# with nodes of beta = 2x2, 4x4 and 8x8 pixels (273 (W'H')^2 / 2^12
# connections in all), summed, each weighted 10 like the single graph.
_base_ = ['./skd_pi_pa.py']
graph = dict(
    type='PairWiseAffinityLoss',
    connection_range=None,
    pool='avg',
    loss_weight=10.0)
feature_pair = dict(
    preds_S=dict(from_student=True, recorder='feature'),
    preds_T=dict(from_student=False, recorder='feature'))
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_pa_beta4=dict(node_size=4, **graph),
            loss_pa_beta8=dict(node_size=8, **graph)),
        loss_forward_mappings=dict(
            loss_pa_beta4=feature_pair, loss_pa_beta8=feature_pair)))
