# Structured knowledge distillation for FCOS (Liu et al., detection), "all
# terms" of the thesis's detection table: the pair-wise and pixel-wise terms
# of skd_pi_pa_fpn.py plus the holistic term (holistic.py) on the
# classification score maps of each level. Every term is the sum over the
# five levels of one weighted per-level term. Leaf configs use
# configs/_base_/schedules/adversarial_fcos_2x.py.
_base_ = ['./skd_pi_pa_fpn.py', './holistic.py']
model = dict(
    _base_.holistic_model,
    # The A2L4 discriminator on each level's score map (sigmoid logits of
    # the classes) conditioned on the image; leaf configs set the class
    # count. FCOS's shared classification conv runs once per level, so the
    # record index is the level.
    discriminator=dict(_base_.discriminator, in_channels=80),
    student_recorder='cls_scores',
    teacher_recorder='cls_scores',
    record_indices=(0, 1, 2, 3, 4))
