# Temporal-consistency distillation, thesis ch. 5 eq. (5.3), all terms:
# CE + λ (SF + TL + PF + MF), λ = 0.1 (scheme j of Table 5.1). SF is the
# pixel-wise + pair-wise distiller of skd_pi_pa.py on every frame; its
# losses average over the 3 frames that eq. (5.3) sums, hence λ · 3 = 0.3.
_base_ = ['./skd_pi_pa.py', './temporal_terms.py']
model = dict(
    type='VideoDistill',
    distiller=dict(distill_losses=dict(
        loss_pi=dict(loss_weight=0.3), loss_pa=dict(loss_weight=0.3))),
    flow_source=_base_.flow_source,
    temporal_loss=_base_.temporal_loss,  # the student's TL
    # PF on the score maps of each (labelled, other) pair, per position.
    pair_frame_loss=dict(type='PairWiseFrameAffinityLoss', loss_weight=0.1),
    # MF on the head features: 16x16 nodes, ConvLSTM(1 -> 4), shared.
    multi_frame_loss=dict(type='MultiFrameDependencyLoss', loss_weight=0.1),
    # Each frame of a (N, L, 3, H, W) sequence through the student's own
    # data preprocessor.
    sequence_preprocessor=dict(type='SequenceDataPreProcessor'))
