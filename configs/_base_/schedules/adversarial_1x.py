# schedule_1x.py for a student that plays against a discriminator
# (HolisticDistill): the student's SGD (leaf configs merge the pair's
# student_optim_wrapper into `architecture`) and the discriminator's. The
# schedule's param_scheduler list drives both.
_base_ = ['./schedule_1x.py', './discriminator_sgd.py']
optim_wrapper = dict(
    _base_.adversarial_optim_wrapper,
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001)))
