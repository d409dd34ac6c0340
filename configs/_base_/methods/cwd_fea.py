# Channel-wise distillation of the fused head feature (the input of
# conv_seg), the thesis's segmentation setting: Ch. 4 finds the feature map
# better than the score map (74.87 vs 72.82 mIoU, PSPNet-R18) and uses
# tau = 3, weight = 3 "in all experiments" (tau = 4 was best in the sweep; 3
# was kept against over-fitting).
# The recorded `feature` defaults to PSPNet's and DeepLabV3's; leaf configs
# set it from their pair base (`feature_source`). The connector's widths are
# read off the recorded modules (StructuredDistill fills in `in_channel` and
# `out_channel`), so they follow any student and teacher.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    # The mmskd registry scope sits below mmrazor's; `_scope_` makes the
    # whole model build resolve mmskd, then mmrazor, then mmengine types.
    _scope_='mmskd',
    type='StructuredDistill',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(feature=_base_.feature_recorder),
        teacher_recorders=dict(feature=_base_.feature_recorder),
        # CWD compares channel c with channel c, so the narrower student
        # feature is widened by a 1x1 conv ("a 1x1 convolution layer will be
        # employed to upsample the number of channels for the student").
        # It stays a linear projection (no activation); BN keeps its output
        # scale steady, which matters because tau divides raw activations.
        connectors=dict(
            student_feature=dict(
                type='mmrazor.ConvModuleConnector',
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=None)),
        distill_losses=dict(
            loss_cwd=dict(type='ChannelWiseDivergence', tau=3,
                          loss_weight=3)),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feature',
                    connector='student_feature'),
                preds_T=dict(from_student=False, recorder='feature')))))
