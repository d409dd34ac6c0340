# The holistic term of structured distillation (a conditional WGAN-GP critic
# on the score maps, trained alternately with the student), as variables:
# method bases combine it with their distiller as
#   model = dict(discriminator=_base_.critic, holistic=_base_.holistic_term)
#   optim_wrapper = _base_.adversarial_optim_wrapper
#   param_scheduler = _base_.adversarial_param_scheduler
#   model_wrapper_cfg = _base_.adversarial_model_wrapper
# (mmengine refuses one key in two bases, so this file defines no `model`).

# The paper's A2L4 critic on the score map conditioned on the image; leaf
# configs set `in_channels` to their class count.
critic = dict(
    type='HolisticDiscriminator', in_channels=19, condition_on_image=True)
# λ2 = 0.1 (paper, Eq. 4), gradient penalty 10 and the critic's loss scaled
# by λ_d = 0.1 (official code), one critic step after each student step
# (official code). The student's recorder `logits` is the score map
# (decode_head.conv_seg).
holistic_term = dict(
    student_recorder='logits',
    teacher_recorder='logits',
    loss_weight=0.1,
    gp_weight=10.0,
    critic_loss_weight=0.1,
    critic_steps=1,
    student_first=True)
# The student's SGD as in mmseg's schedule; the critic's SGD(4e-4, 0.9,
# weight decay 1e-4) as the official code (Adam: dict(type='Adam', lr=1e-4,
# betas=(0.5, 0.9))).
adversarial_optim_wrapper = dict(
    _delete_=True,
    constructor='mmskd.AdversarialOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0005),
        clip_grad=None),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=4e-4, momentum=0.9,
                       weight_decay=0.0001)))
# The poly schedule drives both optimizers (the critic's to 0, as the
# official code).
adversarial_param_scheduler = dict(
    _delete_=True,
    architecture=[
        dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=80000,
             by_epoch=False)
    ],
    discriminator=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=80000,
             by_epoch=False)
    ])
# Student and critic take separate steps, so DDP wraps each trainable part
# on its own and the algorithm's train_step drives them.
adversarial_model_wrapper = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)
