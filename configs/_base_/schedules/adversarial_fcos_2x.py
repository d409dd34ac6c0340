# fcos_2x.py for a student that plays against a discriminator
# (HolisticDistill): the student's FCOS optimizer as `architecture` and the
# discriminator's (discriminator_sgd.py). The schedule's param_scheduler
# list drives both.
_base_ = ['./fcos_2x.py', './discriminator_sgd.py']
optim_wrapper = dict(
    _base_.adversarial_optim_wrapper, architecture=_base_.optim_wrapper)
