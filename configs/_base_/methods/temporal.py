# One segmentor trained on frame sequences with CE (labelled frames) + TL on
# the (labelled, other) pairs: the teacher's pre-training of thesis ch. 5,
# and the "TL" row (e) of Table 5.1 for the student.
_base_ = ['./temporal_terms.py', './separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='TemporalTraining',
    flow_source=_base_.flow_source,
    temporal_loss=_base_.temporal_loss,
    # The score maps TL compares, recorded by a manager of its own.
    recorders=dict(
        type='RecorderManager',
        recorders=dict(
            logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'))),
    logits_recorder='logits',
    # Each frame of a (N, L, 3, H, W) sequence through the segmentor's own
    # data preprocessor.
    sequence_preprocessor=dict(type='SequenceDataPreProcessor'))
