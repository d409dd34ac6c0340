# SKD thesis Table 3.2's "Feature-fusion" (72.18, its best, vs 71.78 for one
# feature), footnote 3: PI plus fully connected pair-wise graphs on three
# feature levels, H' x W' with 2x2-pixel nodes (skd_pi_pa's `loss_pa` on the
# fused head feature), 2H' x 2W' with 4x4 and 4H' x 4W' with 8x8, so each
# graph has W'/2 x H'/2 nodes (3 (W'H')^2 / 2^4 connections in all), each
# weighted 10. The thesis does not name the two larger features; in the D8
# ResNets of its Cityscapes pairs they are the output of the first residual
# stage (stride 4) and of the deep stem (stride 2). Affinities need no equal
# channel counts, so student and teacher record the same modules.
_base_ = ['./skd_pi_pa.py']
stride4 = dict(type='ModuleOutputs', source='backbone.layer1')
stride2 = dict(type='ModuleOutputs', source='backbone.stem')
graph = dict(
    type='PairWiseAffinityLoss',
    connection_range=None,
    pool='avg',
    loss_weight=10.0)
model = dict(
    distiller=dict(
        student_recorders=dict(stride4=stride4, stride2=stride2),
        teacher_recorders=dict(stride4=stride4, stride2=stride2),
        distill_losses=dict(
            loss_pa_stride4=dict(node_size=4, **graph),
            loss_pa_stride2=dict(node_size=8, **graph)),
        loss_forward_mappings={
            f'loss_pa_{level}': dict(
                preds_S=dict(from_student=True, recorder=level),
                preds_T=dict(from_student=False, recorder=level))
            for level in ('stride4', 'stride2')
        }))
