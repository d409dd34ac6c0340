# Knowledge adaptation (He et al., CVPR 2019), phase 1: the knowledge
# translator, an auto-encoder of the frozen teacher's last feature (3 conv +
# 3 transposed conv, stride 2 first and last, BN + ReLU, the feature's
# width), trained on reconstruction + 1e-7 * ||E(phi_t)||_1. The width is
# read off the recorded module. Pairs record `decode_head.bottleneck`.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='KnowledgeTranslatorPretrain',
    distiller=dict(
        type='StructuredDistiller',
        teacher_recorders=dict(feature=_base_.feature_recorder)),
    translator=dict(type='KnowledgeTranslator', sparsity_weight=1e-7),
    teacher_recorder='feature')
