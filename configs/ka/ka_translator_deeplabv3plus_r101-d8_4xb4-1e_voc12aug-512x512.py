_base_ = [
    '../_base_/datasets/voc12aug-512x512.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/translator_1epoch.py',
    '../_base_/methods/ka_translator.py',
    '../_base_/pairs/'
    'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_voc12aug-512x512.py',
]
model = dict(
    architecture=_base_.student,  # read for its data_preprocessor only
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
# One pass over trainaug, no validation (there is no model to score yet).
train_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = None
val_evaluator = None
