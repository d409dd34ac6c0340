# SKD Table 3.2's "Feature-fusion" (72.18, its best, vs 71.78 for one
# feature): PI plus the 2x2-node fully connected pair-wise graph (skd_pi_pa)
# on three features, summed, each weighted 10 (3 (W'H')^2 / 2^4 connections
# in all). The thesis does not name the three; here they are the fused head
# feature and the outputs of the last two backbone stages, all at 1/8 of
# the input in the D8 models (affinities need no equal channel counts).
_base_ = ['./skd_pi_pa.py']
stage3 = dict(type='ModuleOutputs', source='backbone.layer3')
stage4 = dict(type='ModuleOutputs', source='backbone.layer4')
graph = dict(
    type='PairWiseAffinityLoss',
    node_size=2,
    connection_range=None,
    pool='avg',
    loss_weight=10.0)
model = dict(
    distiller=dict(
        student_recorders=dict(stage3=stage3, stage4=stage4),
        teacher_recorders=dict(stage3=stage3, stage4=stage4),
        distill_losses=dict(loss_pa_stage3=graph, loss_pa_stage4=graph),
        loss_forward_mappings={
            f'loss_pa_{stage}': dict(
                preds_S=dict(from_student=True, recorder=stage),
                preds_T=dict(from_student=False, recorder=stage))
            for stage in ('stage3', 'stage4')
        }))
