# cwd_fpn.py for a student whose FPN is narrower than the teacher's (e.g.
# FCOS MobileNetV2-c128 against a 256-channel teacher): channel-wise
# distillation compares channel c with channel c, so each student level is
# widened by its own 1x1 conv with BN (as cwd_fea.py); the widths are read
# off the two necks.
_base_ = ['./cwd_fpn.py']
model = dict(
    distiller=dict(
        connectors={
            f'student_fpn{level}': dict(
                type='mmrazor.ConvModuleConnector',
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=None)
            for level in range(5)
        },
        loss_forward_mappings={
            f'loss_cwd_fpn{level}': dict(
                preds_S=dict(connector=f'student_fpn{level}'))
            for level in range(5)
        }))
