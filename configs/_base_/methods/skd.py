# Structured knowledge distillation (Liu et al.), the full method: pixel-wise
# and pair-wise terms (skd_pi_pa.py) plus the holistic critic (holistic.py).
_base_ = ['./skd_pi_pa.py', './holistic.py']
model = dict(discriminator=_base_.critic, holistic=_base_.holistic_term)
optim_wrapper = _base_.adversarial_optim_wrapper
param_scheduler = _base_.adversarial_param_scheduler
model_wrapper_cfg = _base_.adversarial_model_wrapper
