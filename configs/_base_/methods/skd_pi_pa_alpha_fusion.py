# SKD thesis Table 3.2's "alpha-fusion" (72.03 vs 71.78 for the single 2x2
# graph), footnote 1: PI plus three pair-wise graphs on the fused head
# feature (H' x W'), all of 2x2-pixel nodes (beta = 2x2, so W'/2 x H'/2
# nodes), with connection ranges alpha = W'/2 x H'/2 (every node: skd_pi_pa's
# `loss_pa`), W'/4 x H'/4 and W'/8 x H'/8 nodes; 21 (W'H')^2 / 2^8
# connections in all. Each graph is weighted 10 like the single one.
# PairWiseAffinityLoss connects a node to the square of Chebyshev radius r
# around it: on the 64 x 128 feature of a 512 x 1024 crop (a 32 x 64 node
# grid), r = 11 gives 529 nodes for W'/4 x H'/4 = 512, r = 5 gives 121 for
# W'/8 x H'/8 = 128. Those are the squares of nodes away from the borders,
# as the table's connection counts assume; the square stops at the map's
# edges, so the mean over all nodes is 395 and 106.
_base_ = ['./skd_pi_pa.py']
graph = dict(
    type='PairWiseAffinityLoss', node_size=2, pool='avg', loss_weight=10.0)
feature_pair = dict(
    preds_S=dict(from_student=True, recorder='feature'),
    preds_T=dict(from_student=False, recorder='feature'))
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_pa_alpha4=dict(connection_range=11, **graph),
            loss_pa_alpha8=dict(connection_range=5, **graph)),
        loss_forward_mappings=dict(
            loss_pa_alpha4=feature_pair, loss_pa_alpha8=feature_pair)))
