# The holistic discriminator's optimizer, as the official SKD code: SGD with
# lr 4e-4, momentum 0.9 and weight decay 1e-4 (Adam would be
# dict(type='Adam', lr=1e-4, betas=(0.5, 0.9))). Variables, shared by the
# adversarial schedules: `adversarial_optim_wrapper` replaces a schedule's
# optim_wrapper by one wrapper per player (the schedule adds the student's
# as `architecture`).
discriminator_optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=4e-4, momentum=0.9, weight_decay=0.0001))
adversarial_optim_wrapper = dict(
    _delete_=True,
    constructor='mmskd.AdversarialOptimWrapperConstructor',
    discriminator=discriminator_optim_wrapper)
