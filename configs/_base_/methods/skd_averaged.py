# Structured knowledge distillation in full (skd.py) from several teachers'
# averaged maps (pi_pa_averaged.py): the holistic critic scores the student's
# score map against the teachers' averaged one. Leaf configs use
# configs/_base_/schedules/adversarial_*.py.
_base_ = ['./pi_pa_averaged.py', './holistic.py']
model = _base_.holistic_model
