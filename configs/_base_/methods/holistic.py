# The holistic term of structured distillation: a conditional WGAN-GP
# discriminator on the score maps, trained alternately with the student by
# HolisticDistill. Variables, since the method bases that use it already
# define `model` (mmengine refuses one key in two bases); they say
#   model = _base_.holistic_model
# Leaf configs take the two optimizers from
# configs/_base_/schedules/adversarial_*.py; the DDP wrapper of each part
# comes from the method base beside this one (separate_ddp.py).

# The paper's A2L4 discriminator on the score map conditioned on the image;
# leaf configs set `in_channels` to their class count.
discriminator = dict(
    type='HolisticDiscriminator', in_channels=19, condition_on_image=True)
# λ2 = 0.1 (paper, Eq. 4), gradient penalty 10 and the discriminator's loss
# scaled by λ_d = 0.1 (official code), one discriminator step after each
# student step (official code). The recorder `logits` is the score map
# (decode_head.conv_seg).
holistic_model = dict(
    type='HolisticDistill',
    discriminator=discriminator,
    student_recorder='logits',
    teacher_recorder='logits',
    loss_weight=0.1,
    gp_weight=10.0,
    disc_loss_weight=0.1,
    disc_steps=1,
    student_first=True)
