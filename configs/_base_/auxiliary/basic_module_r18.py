# The basic auxiliary module (thesis eq. 6.1, mmskd.AuxiliaryModuleHead) on
# the four stages of a ResNet-18-D8: a 1x1 conv + BN adaptor of 64 channels
# on each stage's output, concatenated stage by stage (h_L has 256 channels),
# a 1x1 prediction layer, and the task's cross-entropy at weight 1 (the
# thesis's objective 6.2 is the unweighted sum). The adaptors' width is not
# in the thesis: 64 is the width of the first stage. Leaves set
# num_classes and may set adaptor_kernel=3 (basic-conv3x3).
# `_scope_` (not an `mmskd.` prefix) resolves it inside a distillation's
# student as well as in a plain segmentor.
auxiliary_module = dict(
    type='AuxiliaryModuleHead',
    _scope_='mmskd',
    in_channels=[64, 128, 256, 512],
    in_index=(0, 1, 2, 3),
    channels=64,
    adaptor_kernel=1,
    dropout_ratio=0.1,
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    align_corners=False,
    loss_decode=dict(
        type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
