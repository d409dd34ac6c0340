# demo_300.py for a student that plays against a discriminator
# (HolisticDistill): the student's SGD and poly decay of demo_300.py and the
# discriminator's SGD (discriminator_sgd.py), decaying to 0 over
# train_cfg.max_iters as in adversarial_80k.py.
_base_ = ['./demo_300.py', './discriminator_sgd.py']
optim_wrapper = dict(
    _base_.adversarial_optim_wrapper, architecture=_base_.optim_wrapper)
param_scheduler = dict(
    _delete_=True,
    architecture=_base_.param_scheduler,
    discriminator=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)
    ])
