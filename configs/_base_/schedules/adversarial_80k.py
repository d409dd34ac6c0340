# schedule_80k.py for a student that plays against a discriminator
# (HolisticDistill): one optimizer each, both on a poly decay (the
# discriminator's to 0, as the official code). The PolyLRs have no `end`, so
# they last train_cfg.max_iters, whatever a config or --cfg-options sets it to.
_base_ = ['./schedule_80k.py', './discriminator_sgd.py']
optim_wrapper = dict(
    _base_.adversarial_optim_wrapper,
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0005),
        clip_grad=None))
param_scheduler = dict(
    _delete_=True,
    architecture=[
        dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, by_epoch=False)
    ],
    discriminator=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)
    ])
