# "+PI+MIMIC" of SKD Table 3.7 (Romero et al.'s hint / MIMIC): the pixel-wise
# term (pi.py) plus feature mimicking on the fused head feature, the student
# feature widened by a 1x1 conv (no norm, no activation: the plain linear
# alignment of the comparison) and matched by MSE over all elements. It is
# mmrazor's ConvModuleConnector + L2Loss(normalize=False, div_element=True),
# pinned by tests/test_models/test_losses/test_mimic_feature_alignment.py;
# weight 10 as the structured terms (λ1). The connector's widths are read off
# the recorded modules.
_base_ = ['./pi.py']
model = dict(
    distiller=dict(
        connectors=dict(
            student_feature=dict(
                type='mmrazor.ConvModuleConnector',
                kernel_size=1,
                norm_cfg=None,
                act_cfg=None)),
        distill_losses=dict(
            loss_mimic=dict(
                type='mmrazor.L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=10.0)),
        loss_forward_mappings=dict(
            loss_mimic=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='feature',
                    connector='student_feature'),
                t_feature=dict(from_student=False, recorder='feature')))))
