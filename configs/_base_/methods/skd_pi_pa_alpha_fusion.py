# SKD Table 3.2's "alpha-fusion" (72.03 vs 71.78 for the single 2x2 graph):
# PI plus three pair-wise graphs of pixel nodes (beta = 1x1) on the fused
# head feature, each connecting a node to a neighbourhood of the size the
# paper gives as a fraction of the map (alpha = W'/16 x H'/16, W'/8 x H'/8,
# W'/4 x H'/4; 21 (W'H')^2 / 2^8 connections in all), summed, each weighted
# 10 like the single graph. PairWiseAffinityLoss's neighbourhood is a square
# of Chebyshev radius r; r = 2, 5 and 11 give 25, 121 and 529 nodes, the
# paper's 32, 128 and 512 on the 64x128 feature map of a 512x1024 crop.
# `loss_pa` (skd_pi_pa's mapping) becomes the W'/16 graph.
_base_ = ['./skd_pi_pa.py']
graph = dict(
    type='PairWiseAffinityLoss', node_size=1, pool='avg', loss_weight=10.0)
feature_pair = dict(
    preds_S=dict(from_student=True, recorder='feature'),
    preds_T=dict(from_student=False, recorder='feature'))
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_pa=dict(_delete_=True, connection_range=2, **graph),
            loss_pa_alpha8=dict(connection_range=5, **graph),
            loss_pa_alpha4=dict(connection_range=11, **graph)),
        loss_forward_mappings=dict(
            loss_pa_alpha8=feature_pair, loss_pa_alpha4=feature_pair)))
