# The demo's distilled student: structured knowledge distillation in full
# (pixel-wise + pair-wise + holistic, configs/skd/skd_pspnet_...py) plus the
# channel-wise term on the fused head feature with its 1x1 connector
# (configs/_base_/methods/cwd_fea.py), from the demo teacher into the demo
# student, on the student baseline's data, schedule and seed. tools/demo.py
# passes the teacher's checkpoint as --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../skd/skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    './_base_/scenes.py',
]
model = dict(
    # The two demo configs, so the models are exactly the ones trained and
    # tested alone.
    architecture=dict(
        _delete_=True,
        cfg_path='{{fileDirname}}/pspnet_r18-d8_w8_scenes-128x128.py'),
    teacher=dict(
        _delete_=True,
        cfg_path='{{fileDirname}}/pspnet_r101-d8_w16_scenes-128x128.py'),
    teacher_ckpt=None,
    distiller=dict(
        # As cwd_fea.py: tau 3, weight 3, the student's feature widened by a
        # linear 1x1 conv + BN to the teacher's channels.
        connectors=dict(
            student_feature=dict(
                type='mmrazor.ConvModuleConnector',
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=None)),
        distill_losses=dict(
            loss_cwd=dict(type='ChannelWiseDivergence', tau=3, loss_weight=3)),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feature',
                    connector='student_feature'),
                preds_T=dict(from_student=False, recorder='feature')))))
train_dataloader = _base_.demo_labelled_loader
val_dataloader = _base_.demo_test_loader
test_dataloader = _base_.demo_test_loader
train_cfg = _base_.demo_train_cfg
# The student's optimizer and schedule are the baseline's; the
# discriminator's (SGD 4e-4, configs/_base_/schedules/adversarial_80k.py)
# decays to 0 over train_cfg.max_iters as there.
optim_wrapper = dict(architecture=dict(optimizer=_base_.demo_optimizer))
param_scheduler = dict(architecture=[_base_.demo_poly_lr])
default_hooks = _base_.demo_hooks
randomness = _base_.demo_randomness
