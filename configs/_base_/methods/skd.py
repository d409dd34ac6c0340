# Structured knowledge distillation (Liu et al.), the full method: pixel-wise
# and pair-wise terms (skd_pi_pa.py) plus the holistic discriminator
# (holistic.py). Leaf configs use configs/_base_/schedules/adversarial_80k.py.
_base_ = ['./skd_pi_pa.py', './holistic.py']
model = _base_.holistic_model
