# The basic auxiliary module (thesis eq. 6.1, mmskd.AuxiliaryModuleHead) on
# the four encoder outputs of the multi-task MobileNetV2 (24, 32, 96, 320
# channels): a 1x1 conv + BN adaptor of 64 channels on each, concatenated
# output by output, a 1x1 prediction layer. In a MultiTaskEncoderDecoder it
# takes its task head's class count and loss (weight 1: the thesis's
# objective A.2 is the unweighted sum); leaves list it per task under
# model.auxiliary_heads (AT_seg, AT_depth, AT_both).
auxiliary_module = dict(
    type='AuxiliaryModuleHead',
    _scope_='mmskd',
    in_channels=[24, 32, 96, 320],
    in_index=(0, 1, 2, 3),
    channels=64,
    adaptor_kernel=1,
    dropout_ratio=0.1,
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    align_corners=False)
# Deep supervision (the thesis's DS baseline): an FCN head with the task's
# loss at the end of each of the first three encoder outputs, scale 0.1.
deep_supervision = [
    dict(
        type='FCNHead',
        in_channels=channels,
        in_index=stage,
        channels=32,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_weight=0.1) for stage, channels in enumerate((24, 32, 96))
]
