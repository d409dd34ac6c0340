# depth_20k.py for a depth student that plays against a discriminator
# (HolisticDistill): the student's SGD of depth_20k.py (lr 0.001) and the
# discriminator's (SGD 4e-4, discriminator_sgd.py), one optimizer each, both
# on a poly decay to 0. The PolyLRs have no `end`, so they last
# train_cfg.max_iters, whatever a config or --cfg-options sets.
_base_ = ['./depth_20k.py', './discriminator_sgd.py']
optim_wrapper = dict(
    _base_.adversarial_optim_wrapper, architecture=_base_.optim_wrapper)
poly = dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)
param_scheduler = dict(
    _delete_=True, architecture=[poly], discriminator=[poly])
