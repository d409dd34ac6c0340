# PI + PA (skd_pi_pa.py's terms) from each teacher of a TeacherEnsemble of a
# PSPNet (`pspnet`) and a DeepLabV3+ (`deeplabv3plus`): each teacher's score
# map and fused feature is recorded through its name, and each term is one
# per teacher at half the one-teacher weight (10 / 2), so the two add up to
# it. DeepLabV3+'s maps are at 1/4 of the image, a D8 student's at 1/8: its
# score map is upsampled, its 2x2-pixel nodes meet 4x4 ones (the same area).
# Leaf configs set the student's `feature` recorder's source.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='StructuredDistill',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(
            logits=_base_.logits_recorder, feature=_base_.feature_recorder),
        teacher_recorders=dict(
            pspnet_logits=dict(
                type='ModuleOutputs', source='pspnet.decode_head.conv_seg'),
            pspnet_feature=dict(
                type='ModuleOutputs', source='pspnet.decode_head.bottleneck'),
            deeplabv3plus_logits=dict(
                type='ModuleOutputs',
                source='deeplabv3plus.decode_head.conv_seg'),
            deeplabv3plus_feature=dict(
                type='ModuleOutputs',
                source='deeplabv3plus.decode_head.sep_bottleneck')),
        distill_losses=dict(
            loss_pi_pspnet=dict(
                type='PixelWiseDivergence', tau=1.0, loss_weight=5.0),
            loss_pa_pspnet=dict(
                type='PairWiseAffinityLoss', node_size=2, loss_weight=5.0),
            loss_pi_deeplabv3plus=dict(
                type='PixelWiseDivergence',
                tau=1.0,
                loss_weight=5.0,
                resize_student=True),
            loss_pa_deeplabv3plus=dict(
                type='PairWiseAffinityLoss',
                node_size=4,
                loss_weight=5.0,
                match_node_grids=True)),
        loss_forward_mappings=dict(
            loss_pi_pspnet=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='pspnet_logits')),
            loss_pa_pspnet=dict(
                preds_S=dict(from_student=True, recorder='feature'),
                preds_T=dict(from_student=False, recorder='pspnet_feature')),
            loss_pi_deeplabv3plus=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(
                    from_student=False, recorder='deeplabv3plus_logits')),
            loss_pa_deeplabv3plus=dict(
                preds_S=dict(from_student=True, recorder='feature'),
                preds_T=dict(
                    from_student=False, recorder='deeplabv3plus_feature')),
        )))
